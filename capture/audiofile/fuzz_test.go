package audiofile

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The fuzz targets share one property: any input either decodes to sane audio or fails with an error;
// never a panic, a hang or a huge allocation. Seeds are the fixtures in testdata/ plus hand-made
// malformed headers; crashers found later are kept under testdata/fuzz/<target>/ and replayed by
// `go test`. Each target seeds with one format so the fuzzer spends its time inside that decoder.

func addSeeds(f *testing.F, glob string, extra ...[]byte) {
	files, err := filepath.Glob(filepath.Join("testdata", glob))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		// Keep seeds short so each fuzz iteration is cheap; the header is where the trouble is.
		if len(b) > 4096 {
			b = b[:4096]
		}
		f.Add(b)
	}
	for _, b := range extra {
		f.Add(b)
	}
}

func checkDecode(t *testing.T, data []byte, name string) {
	a, err := Decode(bytes.NewReader(data), name)
	if err != nil {
		return
	}
	if a.SourceChannels <= 0 || a.SourceRate <= 0 {
		t.Fatalf("decoded with %d channels at %d Hz", a.SourceChannels, a.SourceRate)
	}
	for i, v := range a.Samples {
		if v != v { // NaN
			t.Fatalf("sample %d is NaN", i)
		}
	}
}

func FuzzDecodeWAV(f *testing.F) {
	var small bytes.Buffer
	EncodeWAV(&small, []float32{0, 0.5, -0.5, 1}, 16000)
	addSeeds(f, "*.wav",
		small.Bytes(),
		wav(fmtBody(3, 2, 44100, 32), 0xFFFFFFFF, make([]byte, 64)),
		wav(fmtBody(7, 1, 8000, 8), 16, make([]byte, 16)),
		[]byte("RF64\xff\xff\xff\xffWAVEds64\x1c\x00\x00\x00"+string(make([]byte, 28))),
	)
	f.Fuzz(func(t *testing.T, data []byte) { checkDecode(t, data, "fuzz.wav") })
}

func FuzzDecodeMP3(f *testing.F) {
	addSeeds(f, "*.mp3", []byte("ID3\x03\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x00"))
	f.Fuzz(func(t *testing.T, data []byte) { checkDecode(t, data, "fuzz.mp3") })
}

func FuzzDecodeFLAC(f *testing.F) {
	addSeeds(f, "*.flac")
	f.Fuzz(func(t *testing.T, data []byte) { checkDecode(t, data, "fuzz.flac") })
}
