package main

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// A mistake in the flags is exit status 2 with one line saying what, before any model is loaded.
func TestFlagMistakes(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--rounds", "0"}, "--rounds must be at least 1"},
		{[]string{"--gpu-layers", "many"}, `--gpu-layers "many"`},
		{[]string{"--threads", "-1"}, "--threads -1"},
		{[]string{"--no-such-flag"}, "not defined"},
		{[]string{"extra"}, "unexpected arguments"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), c.args, &stdout, &stderr)
		if code != 2 || stdout.Len() != 0 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and %q", c.args, code, stdout.String(), stderr.String(), c.want)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"--help"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "-gpu-layers") {
		t.Errorf("--help: exit %d, stderr %q", code, stderr.String())
	}
}

// The JSON keys are what make bench and tools/gpu-check.sh record; a figure not measured is null, and
// the table has one row per figure.
func TestReportKeys(t *testing.T) {
	r := report{DecodeNativeRatio: f64(0.985), SpecMTPSpeedup: &speedup{1.5, 1.25, 0.75}, Details: map[string]any{"simd": "AVX2"}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"batch_times_real_time", "decode_native_ratio", "decode_native_ratio_demo", "details", "live_eos_to_text_ms",
		"peak_rss_mb", "prefill_native_ratio", "prefill_native_ratio_demo", "spec_draft_speedup", "spec_lookup_speedup", "spec_mtp_speedup", "spec_mtp_speedup_gemma4"}
	if !slices.Equal(keys, want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
	if m["decode_native_ratio"] != 0.985 || m["batch_times_real_time"] != nil {
		t.Errorf("decode_native_ratio %v, batch_times_real_time %v; want 0.985 and null", m["decode_native_ratio"], m["batch_times_real_time"])
	}
	if mtp, _ := m["spec_mtp_speedup"].(map[string]any); mtp["translate"] != 1.25 || mtp["acceptance"] != 0.75 {
		t.Errorf("spec_mtp_speedup %v", m["spec_mtp_speedup"])
	}
	var table bytes.Buffer
	printReport(&table, r)
	out := table.String()
	if strings.Count(out, "\n") != 12 || !strings.Contains(out, "0.98 ×") || !strings.Contains(out, "1.50 × transcribe, 1.25 × translate, 75 % accepted") ||
		!strings.Contains(out, "not measured") || !strings.Contains(out, "  simd: AVX2") {
		t.Errorf("table:\n%s", out)
	}
}

// The fixture clips the bench hears when Python or espeak-ng is missing are found from the repository.
func TestFixtureClips(t *testing.T) {
	clips, err := fixtureClips()
	if err != nil {
		t.Fatal(err)
	}
	if len(clips) < 2 || len(clips[0].samples) < 8000 || clips[0].spoken == "" {
		t.Errorf("%d clips, the first %d samples of %q", len(clips), len(clips[0].samples), clips[0].spoken)
	}
}

// One quick run end to end, CPU only: every figure is measured on this machine (the demo model is
// bundled) and the checks inside hold: the native loop and the app choose the same tokens, drafting keeps
// the words, the live and batch transcripts match what was said.
func TestBenchQuick(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"--json", "--rounds", "1", "--quick"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var m map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &m); err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	for k, v := range m {
		if v == nil {
			t.Errorf("%s not measured: %s", k, stdout.String())
		}
	}
	t.Logf("%s", stdout.String())
}
