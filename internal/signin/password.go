package signin

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/licensing"
)

// Password bounds. The upper one keeps a pasted novel from costing more
// than a password (HMAC hashes a long key once, but reading it is work too).
const (
	MinPassword = 8
	MaxPassword = 1024
)

// DefaultIterations is the PBKDF2-HMAC-SHA256 work factor (OWASP's 2023
// figure for it).
const DefaultIterations = 600_000

// iterations is the work factor new hashes get.
// It is a variable only so this package's tests can run fast; a stored hash
// carries its own count, so changing it never breaks an old one.
var iterations = DefaultIterations

const (
	scheme  = "pbkdf2-sha256"
	saltLen = 16
	keyLen  = 32
	// maxIterations bounds the count read back from a stored hash: a
	// corrupted or planted one must not stall a sign-in for minutes.
	maxIterations = 10_000_000
)

var b64 = base64.RawStdEncoding

// HashPassword returns a slow salted hash of pw, encoded as
// "pbkdf2-sha256$ITER$SALT$HASH" (base64 without padding) for the store.
func HashPassword(pw string) (string, error) {
	if err := checkLength(pw); err != nil {
		return "", err
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("signin: salt: %w", err)
	}
	key, err := pbkdf2.Key(sha256.New, pw, salt, iterations, keyLen)
	if err != nil {
		return "", fmt.Errorf("signin: hash: %w", err)
	}
	return scheme + "$" + strconv.Itoa(iterations) + "$" + b64.EncodeToString(salt) + "$" + b64.EncodeToString(key), nil
}

// CheckPassword reports whether pw matches an encoded hash, comparing in
// constant time. A malformed hash matches nothing.
func CheckPassword(encoded, pw string) bool {
	if checkLength(pw) != nil {
		return false
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 4 || parts[0] != scheme {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 || iter > maxIterations {
		return false
	}
	salt, err := b64.DecodeString(parts[2])
	if err != nil || len(salt) < 8 {
		return false
	}
	want, err := b64.DecodeString(parts[3])
	if err != nil || len(want) < 16 || len(want) > 64 {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, pw, salt, iter, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}

func checkLength(pw string) error {
	if len(pw) < MinPassword || len(pw) > MaxPassword {
		return licensing.FieldErrorf(licensing.CodeInvalid, "password", "a password is %d to %d bytes long", MinPassword, MaxPassword)
	}
	return nil
}

// decoySalt salts the hash spent when there is nothing to compare with.
var decoySalt = []byte("seatkeeper-decoy")

// spendHash costs what checking a real password costs, so an unknown user
// or a missing account answers no faster than a wrong password.
func spendHash(pw string) {
	if len(pw) > MaxPassword {
		pw = pw[:MaxPassword]
	}
	// The key is thrown away: only its cost matters, and with a fixed
	// length in range Key cannot fail.
	_, _ = pbkdf2.Key(sha256.New, pw, decoySalt, iterations, keyLen)
}
