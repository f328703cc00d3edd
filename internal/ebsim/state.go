package ebsim

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// account is a registered client. Secrets are kept only as SHA-256 digests,
// so the state file holds no password, token or API key.
type account struct {
	Name           string `json:"name"`
	Type           string `json:"type"`
	Username       string `json:"username"`
	PasswordSHA256 string `json:"passwordSha256"`
	// TokenSHA256 is the digest of the create token; a later create with the
	// same name, type and token is a repeated registration.
	TokenSHA256 string `json:"tokenSha256"`
}

// apiKey is an issued API key, stored under the digest of the key.
type apiKey struct {
	Username    string `json:"username"`
	Environment string `json:"environment"`
	Operations  []int  `json:"operations"`
}

// state is everything a simulator registers. Every access holds store.mu.
type state struct {
	Accounts  map[string]*account `json:"accounts"`  // by username
	Keys      map[string]*apiKey  `json:"keys"`      // by SHA-256 of the key
	ClientIDs map[string]string   `json:"clientIds"` // initauth client id -> type
}

// store guards the state and writes it to the state file after each change.
// The lock is never held across file I/O: a change takes a snapshot under
// the lock and writes it afterwards under saveMu.
type store struct {
	file string

	mu     sync.RWMutex
	st     state
	byName map[string]string // client name -> username
	gen    uint64            // increases with every change

	saveMu   sync.Mutex
	savedGen uint64
}

func newStore(file string) (*store, error) {
	s := &store{
		file: file,
		st: state{
			Accounts:  map[string]*account{},
			Keys:      map[string]*apiKey{},
			ClientIDs: map[string]string{},
		},
		byName: map[string]string{},
	}
	if file == "" {
		return s, nil
	}
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state file: %w", err)
	}
	if err := json.Unmarshal(data, &s.st); err != nil {
		return nil, fmt.Errorf("parse state file %s: %w", file, err)
	}
	if s.st.Accounts == nil {
		s.st.Accounts = map[string]*account{}
	}
	if s.st.Keys == nil {
		s.st.Keys = map[string]*apiKey{}
	}
	if s.st.ClientIDs == nil {
		s.st.ClientIDs = map[string]string{}
	}
	for username, acct := range s.st.Accounts {
		s.byName[acct.Name] = username
	}
	return s, nil
}

// update runs change under the write lock and then saves the state. A
// change that returns an error must leave the state untouched; it is not
// saved.
// NOTE: when the file write fails, the change stays in memory although the
// call reports 0xF012, so a retried create finds the client registered.
func (s *store) update(change func(st *state, byName map[string]string) error) error {
	s.mu.Lock()
	if err := change(&s.st, s.byName); err != nil {
		s.mu.Unlock()
		return err
	}
	s.gen++
	gen := s.gen
	var snapshot []byte
	var err error
	if s.file != "" {
		snapshot, err = json.MarshalIndent(&s.st, "", "  ")
	}
	s.mu.Unlock()
	if s.file == "" {
		return nil
	}
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	return s.save(gen, snapshot)
}

// save writes snapshot unless a later snapshot is already on disk, which
// then contains this change too.
func (s *store) save(gen uint64, snapshot []byte) error {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	if gen <= s.savedGen {
		return nil
	}
	if err := writeFileAtomic(s.file, snapshot, 0o600); err != nil {
		return err
	}
	s.savedGen = gen
	return nil
}

// view runs read under the read lock.
func (s *store) view(read func(st *state, byName map[string]string)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	read(&s.st, s.byName)
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it over path, so a reader sees either the old or the new content.
func writeFileAtomic(path string, data []byte, perm fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write state file: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write state file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write state file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write state file: %w", err)
	}
	if err := os.Chmod(tmp.Name(), perm); err != nil {
		return fmt.Errorf("write state file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write state file: %w", err)
	}
	return nil
}

// digest returns the hex SHA-256 of a secret.
func digest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// matchesDigest compares a secret with a stored digest in constant time.
func matchesDigest(secret, storedDigest string) bool {
	return subtle.ConstantTimeCompare([]byte(digest(secret)), []byte(storedDigest)) == 1
}

// randomHex returns n random bytes from crypto/rand as 2n hex characters.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error since Go 1.24
	return hex.EncodeToString(b)
}

// newUUID returns a random (version 4) UUID in its canonical text form.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
