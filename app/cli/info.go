package cli

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/verbatim-app/verbatim/app/models"
	"github.com/verbatim-app/verbatim/app/speech"
	"github.com/verbatim-app/verbatim/assets"
	"github.com/verbatim-app/verbatim/capture"
	"github.com/verbatim-app/verbatim/inference/gguf"
)

func runModels(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "models", "[FILE...]")
	ctxSize := fs.Int("ctx", 4096, "context size assumed for the GPU fit column")
	if err := parse(fs, args); err != nil {
		return err
	}
	var entries []models.Entry
	if fs.NArg() > 0 {
		for _, p := range fs.Args() {
			entries = append(entries, models.Inspect(p, "file"))
		}
		models.Pair(entries) // a model and its projector named together are listed as a pair, as in a folder
	} else {
		loc := models.DefaultLocations()
		if assets.HasDemo() {
			for _, n := range []string{assets.DemoModel, assets.DemoProjector} {
				if p, err := assets.Extract(env.CacheDir+"/models", n); err == nil {
					e := models.Inspect(p, "bundled")
					if n == assets.DemoModel {
						e.Projector, e.CanHear = p[:len(p)-len(n)]+assets.DemoProjector, true
					}
					loc.Extra = append(loc.Extra, e)
				}
			}
		}
		entries = models.Discover(ctx, loc)
	}
	if len(entries) == 0 {
		fmt.Fprintln(env.Stdout, "No GGUF models found (looked in Verbatim's model folder, Ollama, LM Studio and Hugging Face caches).")
		return nil
	}
	devices := env.Engines.ComputeDevices()
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSOURCE\tKIND\tDETAILS\tGPU FIT\tPATH")
	for _, e := range entries {
		fit := "-"
		if e.Err == nil && e.Info.Kind == gguf.KindText {
			fit = speech.EstimateFit(e.Info, *ctxSize, devices).Status()
		}
		kind := "?"
		if na := (*gguf.NoAudioError)(nil); e.Err == nil || errors.As(e.Err, &na) {
			kind = e.Info.Kind.String() // a model that cannot hear was read whole
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Name, e.Source, kind, e.Describe(), fit, e.Path)
	}
	return tw.Flush()
}

func runVersion(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "version", "")
	verbose := fs.Bool("verbose", false, "also print the CPU features the build uses and the compute devices")
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "verbatim %s\n", Version)
	if !*verbose {
		return nil
	}
	if env.Engines.SystemInfo != nil {
		fmt.Fprintln(env.Stdout, env.Engines.SystemInfo())
	}
	fmt.Fprintf(env.Stdout, "compute devices:\n")
	for _, d := range env.Engines.ComputeDevices() {
		fmt.Fprintf(env.Stdout, "  %s\n", d)
	}
	fmt.Fprintf(env.Stdout, "bundled demo model: %v\n", assets.HasDemo())
	return nil
}

func runDevices(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "devices", "")
	if err := parse(fs, args); err != nil {
		return err
	}
	if env.Mic == nil {
		return errors.New("list input devices: no microphone")
	}
	devs, err := env.Mic.Devices(ctx, capture.BackendAuto)
	if err != nil {
		return fmt.Errorf("list input devices: %w", err)
	}
	if len(devs) == 0 {
		fmt.Fprintln(env.Stdout, "No input devices found.")
		return nil
	}
	for _, d := range devs {
		mark := " "
		if d.IsDefault {
			mark = "*"
		}
		fmt.Fprintf(env.Stdout, "%s %s\n", mark, d.Name)
	}
	return nil
}
