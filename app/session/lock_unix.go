//go:build unix

package session

import (
	"errors"
	"os"
	"syscall"
)

// lockJournal takes an exclusive advisory lock on a session's open journal for as long as it is open.
// The kernel drops it when the file is closed or the process dies (kill -9 included), so a held lock
// means another running Verbatim is recording into that session.
func lockJournal(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrInUse
	}
	return err
}
