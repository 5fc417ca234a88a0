// Package errtree is errors.As and errors.Is without the errors package's
// reflection: errors.As and errors.Is link internal/reflectlite, about 16 KB
// of gzip in each WASM build, to check a target that here is always known
// at compile time.
package errtree

// As finds the first error in err's tree (err, then what Unwrap gives,
// depth first) that is a T, or whose As method sets one, as errors.As does.
func As[T error](err error) (T, bool) {
	var t T
	for err != nil {
		if e, ok := err.(T); ok {
			return e, true
		}
		if x, ok := err.(interface{ As(any) bool }); ok && x.As(&t) {
			return t, true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if t, ok := As[T](e); ok {
					return t, true
				}
			}
			return t, false
		default:
			return t, false
		}
	}
	return t, false
}

// Is reports whether an error in err's tree is target, or says it is with
// an Is method, as errors.Is does. target must be comparable (a sentinel).
func Is(err, target error) bool {
	for err != nil {
		if err == target {
			return true
		}
		if x, ok := err.(interface{ Is(error) bool }); ok && x.Is(target) {
			return true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if Is(e, target) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}
