//go:build !unix

package session

import "os"

// lockJournal is a no-op where advisory locks are not available: a second copy of Verbatim may then
// offer a session that is still being recorded.
func lockJournal(*os.File) error { return nil }
