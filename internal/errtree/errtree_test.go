package errtree_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jquants-auth/jquants-auth/internal/errtree"
)

type codeError struct{ code string }

func (e *codeError) Error() string { return e.code }

// asCode is an error that says, through its As method, that it is a *codeError.
type asCode struct{}

func (asCode) Error() string { return "as code" }
func (asCode) As(target any) bool {
	p, ok := target.(**codeError)
	if ok {
		*p = &codeError{"from As"}
	}
	return ok
}

// isTarget says, through its Is method, that it is sentinel.
type isTarget struct{}

func (isTarget) Error() string        { return "is target" }
func (isTarget) Is(target error) bool { return target == sentinel }

var sentinel = errors.New("sentinel")

// unhashable is an error type that is not comparable: == on two of them
// would panic, as errors.Is guards against.
type unhashable []string

func (unhashable) Error() string { return "unhashable" }

// Each tree gets the answers errors.As and errors.Is give.
func TestAgainstErrors(t *testing.T) {
	ce := &codeError{"x"}
	trees := []error{
		nil,
		ce,
		fmt.Errorf("wrapped: %w", ce),
		fmt.Errorf("twice: %w", fmt.Errorf("once: %w", ce)),
		errors.Join(errors.New("a"), fmt.Errorf("b: %w", ce)),
		errors.Join(errors.New("a"), errors.New("b")),
		fmt.Errorf("two: %w and %w", sentinel, ce),
		asCode{},
		fmt.Errorf("w: %w", asCode{}),
		isTarget{},
		errors.Join(isTarget{}),
		sentinel,
		fmt.Errorf("s: %w", sentinel),
		context.Canceled,
		fmt.Errorf("c: %w", context.DeadlineExceeded),
		unhashable{"a"},
		fmt.Errorf("u: %w", unhashable{"a"}),
	}
	for i, err := range trees {
		var want *codeError
		wantOK := errors.As(err, &want)
		got, ok := errtree.As[*codeError](err)
		if ok != wantOK || (ok && *got != *want) {
			t.Errorf("%d: As %v %v, errors.As %v %v", i, got, ok, want, wantOK)
		}
		for _, target := range []error{sentinel, ce, context.Canceled, context.DeadlineExceeded} {
			if got, want := errtree.Is(err, target), errors.Is(err, target); got != want {
				t.Errorf("%d: Is(%v, %v) = %v, errors.Is %v", i, err, target, got, want)
			}
		}
	}
}
