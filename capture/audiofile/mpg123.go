//go:build cgo

package audiofile

// MP3 is decoded by Debian's libmpg123 in feed mode: Go reads the file and pushes its bytes in, so the
// library never sees a path or a descriptor, and memory stays at one input block plus one frame.
// (go-mp3, used before, decodes MPEG-2 at 32 and 96 kbps to noise.)

/*
#cgo pkg-config: libmpg123
#include <mpg123.h>

// vb_new returns a feed-mode handle that outputs float stereo at the stream's own rate, or NULL with *err.
static mpg123_handle *vb_new(int *err) {
	mpg123_handle *mh = mpg123_new(NULL, err);
	if (mh == NULL) return NULL;
	const long *rates;
	size_t n;
	if ((*err = mpg123_param(mh, MPG123_ADD_FLAGS, MPG123_QUIET | MPG123_FORCE_STEREO, 0)) != MPG123_OK) goto fail;
	if ((*err = mpg123_format_none(mh)) != MPG123_OK) goto fail;
	mpg123_rates(&rates, &n);
	for (size_t i = 0; i < n; i++) {
		if ((*err = mpg123_format(mh, rates[i], MPG123_STEREO, MPG123_ENC_FLOAT_32)) != MPG123_OK) goto fail;
	}
	if ((*err = mpg123_open_feed(mh)) != MPG123_OK) goto fail;
	return mh;
fail:
	mpg123_delete(mh);
	return NULL;
}

static long vb_rate(mpg123_handle *mh) {
	long rate = 0;
	int ch, enc;
	if (mpg123_getformat(mh, &rate, &ch, &enc) != MPG123_OK) return 0;
	return rate;
}

// vb_length is the track length in samples when an info frame (Xing/LAME) declares it, else -1.
static long long vb_length(mpg123_handle *mh) {
	off_t n = mpg123_length(mh);
	return n < 0 ? -1 : (long long)n;
}

// vb_fill is the number of fed bytes the decoder has not consumed yet, or -1.
static long vb_fill(mpg123_handle *mh) {
	long v = 0;
	double d = 0;
	if (mpg123_getstate(mh, MPG123_BUFFERFILL, &v, &d) != MPG123_OK) return -1;
	return v;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"unsafe"

	"github.com/verbatim-app/verbatim/capture/pcm"
)

const (
	mp3InBlock = 16 << 10
	// mp3Tail is how much of the input end is kept to look at a frame cut short (a frame is < 3 KB).
	mp3Tail = 8 << 10
	// mp3MaxLead bounds the bytes fed before the first frame decodes: junk is not read to the end.
	mp3MaxLead = 1 << 20
)

// mpg123Handle owns the C handle; it is separate from the source so that a cleanup can free it if a
// Stream is dropped without Close.
type mpg123Handle struct{ mh *C.mpg123_handle }

func (h *mpg123Handle) free() {
	if h.mh != nil {
		C.mpg123_delete(h.mh)
		h.mh = nil
	}
}

type mpg123Source struct {
	h        *mpg123Handle
	channels int // 1: the stereo output is folded back to mono (exactly: both channels are equal)
	r        io.Reader
	in       []byte
	out      []float32
	tail     []byte // the last bytes fed
	fed      int64
	eof      bool
	rerr     error
	rate     int
	frames   int64
	err      error // held back while the samples decoded with it are returned
}

func newMPG123(r io.Reader, channels int) (source, int, error) {
	var cerr C.int
	mh := C.vb_new(&cerr)
	if mh == nil {
		return nil, 0, fmt.Errorf("libmpg123: %s", C.GoString(C.mpg123_plain_strerror(cerr)))
	}
	m := &mpg123Source{h: &mpg123Handle{mh}, channels: channels, r: r, in: make([]byte, mp3InBlock), out: make([]float32, 2*1152*4)}
	runtime.AddCleanup(m, (*mpg123Handle).free, m.h)
	// Decode up to the first frame, where the output format becomes known.
	for {
		ret, n := m.decode()
		switch {
		case ret == C.MPG123_NEW_FORMAT:
			m.rate = int(C.vb_rate(m.h.mh))
			return m, m.rate, nil
		case n > 0 || ret == C.MPG123_OK:
			m.close()
			return nil, 0, errors.New("libmpg123 gave samples before a format")
		case ret == C.MPG123_NEED_MORE && !m.eof && m.fed < mp3MaxLead:
			m.feed()
		case ret == C.MPG123_NEED_MORE:
			m.close()
			if m.rerr != nil {
				return nil, 0, fmt.Errorf("read: %w", m.rerr)
			}
			return nil, 0, fmt.Errorf("no MPEG audio frame decodes in the first %d bytes", m.fed)
		default:
			err := m.strerror(ret)
			m.close()
			return nil, 0, err
		}
	}
}

func (m *mpg123Source) close() {
	m.h.free()
}

func (m *mpg123Source) strerror(ret C.int) error {
	if m.h.mh != nil && ret == C.MPG123_ERR {
		return fmt.Errorf("libmpg123: %s", C.GoString(C.mpg123_strerror(m.h.mh)))
	}
	return fmt.Errorf("libmpg123: %s", C.GoString(C.mpg123_plain_strerror(ret)))
}

// decode asks for the next samples; n counts floats (two per frame).
func (m *mpg123Source) decode() (C.int, int) {
	var done C.size_t
	ret := C.mpg123_read(m.h.mh, unsafe.Pointer(&m.out[0]), C.size_t(len(m.out)*4), &done)
	runtime.KeepAlive(m) // the cleanup must not free the handle during the call
	return ret, int(done) / 4
}

// feed pushes the next block of the file into the decoder.
func (m *mpg123Source) feed() {
	n, err := io.ReadFull(m.r, m.in)
	if n > 0 {
		C.mpg123_feed(m.h.mh, (*C.uchar)(unsafe.Pointer(&m.in[0])), C.size_t(n))
		runtime.KeepAlive(m)
		m.fed += int64(n)
		m.tail = append(m.tail, m.in[:n]...)
		if len(m.tail) > 2*mp3Tail {
			m.tail = m.tail[:copy(m.tail, m.tail[len(m.tail)-mp3Tail:])]
		}
	}
	if err != nil {
		m.eof = true
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			m.rerr = err
		}
	}
}

func (m *mpg123Source) next() ([]float32, error) {
	if m.err != nil {
		return nil, m.err
	}
	if m.h.mh == nil {
		return nil, io.EOF
	}
	for {
		ret, n := m.decode()
		n -= n % 2
		if ret != C.MPG123_OK && ret != C.MPG123_NEED_MORE && ret != C.MPG123_NEW_FORMAT && ret != C.MPG123_DONE {
			m.err = &damage{frame: m.frames + int64(n/2), err: m.strerror(ret)}
		}
		if ret == C.MPG123_NEW_FORMAT {
			if r := int(C.vb_rate(m.h.mh)); r != m.rate {
				m.err = &damage{frame: m.frames + int64(n/2), err: fmt.Errorf("sample rate changes from %d to %d Hz", m.rate, r)}
			}
		}
		if n > 0 {
			m.frames += int64(n / 2)
			// A damaged or hostile stream can decode far past full scale (the synthesis filter amplifies
			// garbage); clamp as float WAVs are.
			for i, v := range m.out[:n] {
				m.out[i] = pcm.Clip(float64(v))
			}
			if m.channels == 1 {
				for i := 0; i < n/2; i++ {
					m.out[i] = (m.out[2*i] + m.out[2*i+1]) * 0.5
				}
				return m.out[:n/2], nil
			}
			return m.out[:n], nil
		}
		switch {
		case m.err != nil:
			return nil, m.err
		case ret == C.MPG123_DONE:
			return nil, io.EOF
		case ret == C.MPG123_NEED_MORE && m.eof:
			return nil, m.end()
		case ret == C.MPG123_NEED_MORE:
			m.feed()
		}
	}
}

// end tells a clean end from a file cut inside its last frame: libmpg123 keeps an incomplete frame in its
// input buffer, and the frame's header says how long it should have been. Anything else left over (an
// ID3v1 or APE tag) is not audio.
func (m *mpg123Source) end() error {
	if m.rerr != nil {
		return &damage{frame: m.frames, err: fmt.Errorf("read: %w", m.rerr)}
	}
	// An info frame (LAME writes one) declares the length: a file cut between frames is found this way.
	if n := int64(C.vb_length(m.h.mh)); n > 0 && m.frames < n-1152 {
		return &damage{frame: m.frames, err: fmt.Errorf("the file ends after %d of the %d samples its info frame declares", m.frames, n)}
	}
	fill := int(C.vb_fill(m.h.mh))
	if fill <= 0 || fill > len(m.tail) {
		return io.EOF
	}
	left := m.tail[len(m.tail)-fill:]
	for i := 0; i+4 <= len(left); i++ {
		h := mp3Header(left[i:])
		if h == nil {
			continue
		}
		if h.size > len(left)-i {
			return &damage{frame: m.frames, err: fmt.Errorf("the file ends inside a frame (%d of its %d bytes)", len(left)-i, h.size)}
		}
		break
	}
	return io.EOF
}
