package audiofile

import (
	"bufio"
	"errors"
	"fmt"
)

// MP3 frames are decoded by libmpg123 (mpg123.go); this file holds what the sniffer and the truncation
// check need from the frame headers.

// mp3Info is what one MPEG audio frame header says.
type mp3Info struct {
	rate     int
	channels int
	size     int // bytes in the frame, header included
}

var mp3Rates = [4][3]int{ // [version][index]; version 0 = MPEG 2.5, 1 reserved, 2 = MPEG 2, 3 = MPEG 1
	{11025, 12000, 8000}, {}, {22050, 24000, 16000}, {44100, 48000, 32000},
}

// mp3Kbps are the Layer III bit rates: [0] for MPEG 1, [1] for MPEG 2 and 2.5.
var mp3Kbps = [2][15]int{
	{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320},
	{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
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
	rate := mp3Rates[version][rateIdx]
	pad := int(b[2]>>1) & 1
	var size int
	if version == 3 {
		size = 144000*mp3Kbps[0][bitrate]/rate + pad
	} else {
		size = 72000*mp3Kbps[1][bitrate]/rate + pad
	}
	return &mp3Info{rate: rate, channels: ch, size: size}
}

func findMP3Frame(b []byte) int {
	for i := 0; i+4 <= len(b); i++ {
		if mp3Header(b[i:]) != nil {
			return i
		}
	}
	return -1
}

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

// newMP3 finds the first frame and hands the stream to libmpg123.
func newMP3(br *bufio.Reader) (source, int, int, error) {
	// Skip ID3v2 tags ourselves, checking the declared size against what follows.
	if err := skipID3(br); err != nil {
		return nil, 0, 0, err
	}
	head, _ := br.Peek(64 << 10)
	off := findMP3Frame(head)
	if off < 0 {
		return nil, 0, 0, errors.New("no MPEG Layer III frame found")
	}
	info := mp3Header(head[off:])
	if _, err := br.Discard(off); err != nil {
		return nil, 0, 0, fmt.Errorf("read: %w", err)
	}
	// libmpg123 is asked for stereo always, so that a stream switching modes cannot change the layout;
	// the source folds it back to the first frame header's channel count.
	src, rate, err := newMPG123(br, info.channels)
	if err != nil {
		return nil, 0, 0, err
	}
	return src, rate, info.channels, nil
}
