//go:build !cgo

package audiofile

import (
	"errors"
	"io"
)

// Without cgo there is no MP3 decoder: the one pure-Go decoder available (go-mp3) decodes MPEG-2 at
// 32 and 96 kbps to noise, and a clear error is better than a wrong transcript.
func newMPG123(io.Reader, int) (source, int, error) {
	return nil, 0, errors.New("MP3 needs libmpg123: this binary was built without cgo")
}
