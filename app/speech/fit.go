package speech

import (
	"fmt"

	"github.com/verbatim-app/verbatim/inference/gguf"
)

// Device is a compute device an engine can use.
type Device struct {
	Name        string
	Description string
	Kind        string // "cpu", "gpu", "igpu", "accel"
	Free, Total uint64
}

// IsGPU reports whether layers can be offloaded to the device.
func (d Device) IsGPU() bool { return d.Kind == "gpu" || d.Kind == "igpu" }

func (d Device) String() string {
	return fmt.Sprintf("%s (%s, %s): %d MiB free of %d MiB", d.Name, d.Description, d.Kind, d.Free>>20, d.Total>>20)
}

// Fit says how much of a model a set of devices can hold.
type Fit struct {
	Layers     int    // layers to offload (block count + 1 means the output layer too)
	Of         int    // layers the model has, output included
	NeedBytes  uint64 // for full offload
	FreeBytes  uint64 // on the GPUs
	DeviceName string
}

// Status is "full", "partial" or "cpu".
func (f Fit) Status() string {
	switch {
	case f.Layers == 0:
		return "cpu"
	case f.Layers >= f.Of:
		return "full"
	}
	return "partial"
}

// gpuMargin is kept free on every GPU for the compute graph, the driver and other programs.
const gpuMargin = 512 << 20

// EstimateFit decides how many layers fit into the GPUs' free memory, the way Ollama estimates it: each
// repeating layer costs its weights plus its share of the KV cache; the output layer and the compute
// graph come on top; a safety margin stays free.
func EstimateFit(m gguf.Info, ctx int, devices []Device) Fit {
	blocks := int(m.BlockCount)
	fit := Fit{Of: blocks + 1}
	var free uint64
	for _, d := range devices {
		if d.IsGPU() {
			if d.Free > gpuMargin {
				free += d.Free - gpuMargin
			}
			if fit.DeviceName == "" {
				fit.DeviceName = d.Name
			}
		}
	}
	fit.FreeBytes = free
	if blocks == 0 {
		return fit
	}
	weights := uint64(m.Size)
	// KV cache in f16: K and V, one n_embd-wide row (n_embd_kv for GQA, approximated by n_embd) per position.
	kvPerLayer := 2 * 2 * uint64(ctx) * m.EmbeddingLen
	// The output layer (embedding-sized matrix) is roughly vocab×n_embd at the file's precision.
	bytesPerParam := float64(weights) / float64(max(m.Parameters, 1))
	output := uint64(float64(uint64(m.VocabSize)*m.EmbeddingLen) * bytesPerParam)
	layer := (weights-min(output, weights))/uint64(blocks) + kvPerLayer
	graph := uint64(ctx) * m.EmbeddingLen * 4 * 4 // activations for one batch, generously
	fit.NeedBytes = layer*uint64(blocks) + output + graph
	if free < graph {
		return fit
	}
	n := int((free - graph) / layer)
	if n >= blocks && free-graph-uint64(blocks)*layer >= output {
		n = blocks + 1
	}
	fit.Layers = min(n, blocks+1)
	return fit
}

// AutoLayers is the number of layers --gpu-layers auto offloads.
func AutoLayers(m gguf.Info, ctx int, devices []Device) int {
	return EstimateFit(m, ctx, devices).Layers
}
