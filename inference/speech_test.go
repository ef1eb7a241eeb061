package inference

import (
	"testing"

	"github.com/verbatim-app/verbatim/app/speech"
)

func TestBackend(t *testing.T) {
	gpu := []speech.Device{{Name: "CPU", Kind: "cpu"}, {Name: "CUDA0", Description: "NVIDIA H100", Kind: "gpu"}}
	for _, c := range []struct {
		layers, of int
		devs       []speech.Device
		want       string
	}{
		{0, 33, gpu, "CPU"},
		{33, 33, gpu, "GPU NVIDIA H100, 33/33 layers"},
		{99, 33, gpu, "GPU NVIDIA H100, 33/33 layers"},
		{10, 33, nil, "GPU, 10/33 layers"},
	} {
		if got := backend(c.layers, c.of, c.devs); got != c.want {
			t.Errorf("backend(%d, %d) = %q, want %q", c.layers, c.of, got, c.want)
		}
	}
}
