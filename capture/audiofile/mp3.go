package audiofile

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/hajimehoshi/go-mp3"
)

// mp3Info is what one MPEG audio frame header says.
type mp3Info struct {
	rate     int
	channels int
}

var mp3Rates = [4][3]int{ // [version][index]; version 0 = MPEG 2.5, 1 reserved, 2 = MPEG 2, 3 = MPEG 1
	{11025, 12000, 8000}, {}, {22050, 24000, 16000}, {44100, 48000, 32000},
}

// mp3Header parses a Layer III frame header at the start of b, or returns nil.
func mp3Header(b []byte) *mp3Info {
	if len(b) < 4 || b[0] != 0xFF || b[1]&0xE0 != 0xE0 {
		return nil
	}
	version := (b[1] >> 3) & 3
	layer := (b[1] >> 1) & 3
	bitrate := b[2] >> 4
	rateIdx := (b[2] >> 2) & 3
	if version == 1 || layer != 1 || bitrate == 0 || bitrate == 15 || rateIdx == 3 {
		return nil
	}
	ch := 2
	if b[3]>>6 == 3 {
		ch = 1
	}
	return &mp3Info{rate: mp3Rates[version][rateIdx], channels: ch}
}

func findMP3Frame(b []byte) int {
	for i := 0; i+4 <= len(b); i++ {
		if mp3Header(b[i:]) != nil {
			return i
		}
	}
	return -1
}

// nonSeeker hides Seek: given a seeker, go-mp3 scans the whole file up front to build a frame index
// that we do not need.
type nonSeeker struct{ r io.Reader }

func (n nonSeeker) Read(p []byte) (int, error) { return n.r.Read(p) }

// skipID3 discards any ID3v2 tags at the reader's position, checking each declared size against what
// actually follows.
func skipID3(br *bufio.Reader) error {
	for {
		head, _ := br.Peek(10)
		n, ok := id3Size(head)
		if !ok {
			break
		}
		if got, err := br.Discard(n); err != nil {
			return fmt.Errorf("ID3 tag declares %d bytes but only %d follow", n, got)
		}
	}
	return nil
}

func decodeMP3(br *bufio.Reader, s *sink) error {
	// Skip ID3v2 tags ourselves: go-mp3 allocates the declared tag size in one piece (up to 256 MB).
	if err := skipID3(br); err != nil {
		return err
	}
	head, _ := br.Peek(64 << 10)
	off := findMP3Frame(head)
	if off < 0 {
		return errors.New("no MPEG Layer III frame found")
	}
	info := mp3Header(head[off:])
	if _, err := br.Discard(off); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	d, err := mp3.NewDecoder(nonSeeker{br})
	if err != nil {
		return fmt.Errorf("first frame: %w", err)
	}
	// go-mp3 always yields 16-bit stereo; the source channel count comes from the frame header.
	rate := d.SampleRate()
	if err := s.start(rate, 2); err != nil {
		return err
	}
	buf := make([]byte, 4*4096)
	samples := make([]float32, 0, 2*4096)
	for {
		n, err := io.ReadFull(d, buf)
		n -= n % 4
		samples = samples[:0]
		for i := 0; i < n; i += 2 {
			samples = append(samples, float32(int16(binary.LittleEndian.Uint16(buf[i:])))/32768)
		}
		if werr := s.write(samples); werr != nil {
			return werr
		}
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				break
			}
			return fmt.Errorf("frame: %w", err)
		}
	}
	s.channels = info.channels
	return nil
}
