// Package audiofile decodes audio files (WAV, MP3, FLAC) into 16 kHz mono float32 (pcm.Rate), the form
// every Verbatim model hears. Writing WAV is package pcm's.
//
// Open/NewStream decode as they read, in memory that does not grow with the file; Decode and DecodeFile
// read a Stream to the end. A file damaged part of the way through (truncated, or with FLAC frames that
// do not decode) gives the audio that is there and a *DamageError naming where the damage is.
//
// Files are untrusted input: the content is sniffed rather than trusted by extension, every size a
// header declares is checked against what actually follows, nothing is allocated from a declared size,
// and decoder panics in third-party code are turned into errors that name the file. MP3 is decoded by
// libmpg123 (cgo); FLAC frames by github.com/mewkiz/flac, behind metadata parsing and resync done here.
package audiofile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/verbatim-app/verbatim/capture/pcm"
)

// MaxDuration bounds the audio one call decodes (about 1.8 GB of samples at 16 kHz). Compressed formats
// can describe hours of silence in a few bytes, so the output, not the input, is what gets bounded.
const MaxDuration = 8 * time.Hour

// MinRate is the lowest source rate accepted. Nothing real records below telephone rates, and a rate of
// a few hertz would turn a tiny file into hours of upsampled output.
const MinRate = 2000

// ErrUnsupported is wrapped by errors for inputs that are not a format this package decodes. It is the
// WAV codec's own, so that an unsupported WAV encoding is one too.
var ErrUnsupported = pcm.ErrUnsupported

// Audio is decoded audio, always 16 kHz mono.
type Audio struct {
	Samples        []float32 // 16 kHz mono, nominally in [-1, 1]
	SourceRate     int       // sample rate of the file
	SourceChannels int       // channel count of the file
	Duration       time.Duration
}

// Format names a container the sniffer recognised.
type Format string

const (
	FormatWAV     Format = "wav"
	FormatMP3     Format = "mp3"
	FormatFLAC    Format = "flac"
	FormatOgg     Format = "ogg"
	FormatUnknown Format = ""
)

// DecodeFile opens and decodes the whole file at path (see Decode).
func DecodeFile(path string) (Audio, error) {
	s, err := Open(path)
	if err != nil {
		return Audio{}, err
	}
	defer s.Close()
	return readAll(s)
}

// Decode reads a whole audio stream from r. name is used to name the input in errors and as a hint
// when the content alone is ambiguous (a headerless MP3 stream). It is NewStream read to the end: for a
// damaged file it returns the audio that could be decoded together with a *DamageError, and for any
// other error after the header, the samples before it.
func Decode(r io.Reader, name string) (Audio, error) {
	s, err := NewStream(r, name)
	if err != nil {
		return Audio{}, err
	}
	defer s.Close()
	return readAll(s)
}

func readAll(s *Stream) (Audio, error) {
	var out []float32
	buf := make([]float32, 32<<10)
	var err error
	for {
		var n int
		n, err = s.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			break
		}
	}
	if err == io.EOF {
		err = nil
	}
	return Audio{Samples: out, SourceRate: s.SourceRate(), SourceChannels: s.SourceChannels(), Duration: s.Duration()}, err
}

// Sniff reports the format of the stream that starts with head (a few kilobytes are enough), using the
// extension of name only to accept an MP3 stream that does not start on a frame header.
func Sniff(head []byte, name string) Format {
	h := head
	if n, ok := id3Size(h); ok {
		if n >= len(h) {
			// The tag runs past what we were shown; ID3 is used by MP3 and (rarely) FLAC.
			if strings.EqualFold(filepath.Ext(name), ".flac") {
				return FormatFLAC
			}
			return FormatMP3
		}
		h = h[n:]
	}
	switch {
	case len(h) >= 12 && (string(h[:4]) == "RIFF" || string(h[:4]) == "RF64") && string(h[8:12]) == "WAVE":
		return FormatWAV
	case len(h) >= 4 && string(h[:4]) == "fLaC":
		return FormatFLAC
	case len(h) >= 4 && string(h[:4]) == "OggS":
		return FormatOgg
	case len(h) >= 4 && mp3Header(h) != nil:
		return FormatMP3
	case len(h) >= 4 && strings.EqualFold(filepath.Ext(name), ".mp3") && findMP3Frame(h) >= 0:
		return FormatMP3
	}
	return FormatUnknown
}

func sniff(br *bufio.Reader, name string) (Format, error) {
	head, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return FormatUnknown, fmt.Errorf("read: %w", err)
	}
	if len(head) == 0 {
		return FormatUnknown, errors.New("empty file")
	}
	f := Sniff(head, name)
	if f == FormatUnknown {
		if len(head) >= 12 && string(head[8:12]) == "AIFF" {
			return f, fmt.Errorf("AIFF audio: %w", ErrUnsupported)
		}
		if len(head) >= 8 && string(head[4:8]) == "ftyp" {
			return f, fmt.Errorf("MP4/M4A audio: %w", ErrUnsupported)
		}
		return f, fmt.Errorf("not WAV, MP3 or FLAC: %w", ErrUnsupported)
	}
	return f, nil
}

// id3Size returns the full size of an ID3v2 tag at the start of b.
func id3Size(b []byte) (int, bool) {
	if len(b) < 10 || string(b[:3]) != "ID3" {
		return 0, false
	}
	if b[6]|b[7]|b[8]|b[9] >= 0x80 {
		return 0, false // not synchsafe: not a tag
	}
	n := int(b[6])<<21 | int(b[7])<<14 | int(b[8])<<7 | int(b[9])
	n += 10
	if b[5]&0x10 != 0 {
		n += 10 // footer
	}
	return n, true
}

// Extensions are the file name extensions of the formats Decode reads, for picking files out of folders
// and file dialogs (Decode itself sniffs the content).
func Extensions() []string { return []string{".wav", ".mp3", ".flac"} }

// HasAudioExtension reports whether a file name ends in one of Extensions, in any case.
func HasAudioExtension(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	for _, e := range Extensions() {
		if e == ext {
			return true
		}
	}
	return false
}

// Expand replaces folders by the audio files inside them (by extension, in walk order), and keeps every
// other path as given: a missing or unreadable file gets its own error when it is decoded.
func Expand(paths []string) []string {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil || !st.IsDir() {
			out = append(out, p)
			continue
		}
		_ = filepath.WalkDir(p, func(f string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && HasAudioExtension(f) {
				out = append(out, f)
			}
			return nil // an unreadable subfolder does not stop the others
		})
	}
	return out
}
