package audiofile

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/mewkiz/flac"
)

func decodeFLAC(br *bufio.Reader, s *sink) error {
	// Skip ID3v2 tags here too: the flac package would otherwise trust a tag size blindly.
	if err := skipID3(br); err != nil {
		return err
	}
	stream, err := flac.New(br)
	if err != nil {
		return fmt.Errorf("header: %w", err)
	}
	info := stream.Info
	if info == nil {
		return errors.New("no STREAMINFO block")
	}
	ch := int(info.NChannels)
	bps := int(info.BitsPerSample)
	if bps < 4 || bps > 32 {
		return fmt.Errorf("%d bits per sample", bps)
	}
	if err := s.start(int(info.SampleRate), ch); err != nil {
		return err
	}
	var samples []float32
	for i := 0; ; i++ {
		f, err := stream.ParseNext()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("frame %d: %w", i, err)
		}
		if len(f.Subframes) != ch {
			return fmt.Errorf("frame %d has %d channels, the stream declares %d", i, len(f.Subframes), ch)
		}
		fbps := int(f.BitsPerSample)
		if fbps == 0 {
			fbps = bps
		}
		if fbps < 1 || fbps > 32 {
			return fmt.Errorf("frame %d: %d bits per sample", i, fbps)
		}
		scale := 1 / float32(int64(1)<<(fbps-1))
		n := int(f.BlockSize)
		for _, sf := range f.Subframes {
			if len(sf.Samples) < n {
				return fmt.Errorf("frame %d: subframe has %d samples, block size %d", i, len(sf.Samples), n)
			}
		}
		samples = samples[:0]
		for j := 0; j < n; j++ {
			for c := 0; c < ch; c++ {
				samples = append(samples, float32(f.Subframes[c].Samples[j])*scale)
			}
		}
		if err := s.write(samples); err != nil {
			return err
		}
	}
}
