package inference

/*
#include <stddef.h>
// From ggml-backend.h, linked through github.com/ollama/ollama/llama.
struct ggml_backend_device;
size_t ggml_backend_dev_count(void);
struct ggml_backend_device * ggml_backend_dev_get(size_t index);
const char * ggml_backend_dev_name(struct ggml_backend_device * device);
const char * ggml_backend_dev_description(struct ggml_backend_device * device);
void ggml_backend_dev_memory(struct ggml_backend_device * device, size_t * free, size_t * total);
int ggml_backend_dev_type(struct ggml_backend_device * device);
*/
import "C"

import (
	"github.com/ollama/ollama/llama"

	"github.com/verbatim-app/verbatim/app/speech"
)

// ReportDevices lists the devices of every ggml backend that loaded (GPU backends come from lib/ollama).
func ReportDevices() []speech.Device {
	quietLogs()
	llama.BackendInit()
	var out []speech.Device
	for i := C.size_t(0); i < C.ggml_backend_dev_count(); i++ {
		d := C.ggml_backend_dev_get(i)
		var free, total C.size_t
		C.ggml_backend_dev_memory(d, &free, &total)
		kind := [...]string{"cpu", "gpu", "igpu", "accel"}
		k := int(C.ggml_backend_dev_type(d))
		dev := speech.Device{Name: C.GoString(C.ggml_backend_dev_name(d)), Description: C.GoString(C.ggml_backend_dev_description(d)),
			Free: uint64(free), Total: uint64(total), Kind: "unknown"}
		if k >= 0 && k < len(kind) {
			dev.Kind = kind[k]
		}
		out = append(out, dev)
	}
	return out
}
