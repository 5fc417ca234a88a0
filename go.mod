module github.com/jquants-auth/jquants-auth

go 1.26
