// Command ocipack writes a one-layer OCI image archive holding a single static binary, named for
// `ctr images import` (annotation io.containerd.image.name). The output depends only on its
// inputs (fixed timestamps and ownership), so the same binary gives the same image digest.
//
//	ocipack -name bdk.local/pause:1 -binary ./pause -user 65535:65535 -out pause.oci.tar
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Platform    *platform         `json:"platform,omitempty"`
}

type platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
}

type blob struct {
	digest string
	data   []byte
}

func newBlob(data []byte) blob {
	sum := sha256.Sum256(data)
	return blob{digest: "sha256:" + hex.EncodeToString(sum[:]), data: data}
}

func main() {
	name := flag.String("name", "", "image reference, e.g. bdk.local/pause:1 (required)")
	binary := flag.String("binary", "", "static binary to put at /<its file name> (required)")
	user := flag.String("user", "65532:65532", "numeric uid:gid the image runs as")
	out := flag.String("out", "", "archive to write (required)")
	flag.Parse()
	if *name == "" || *binary == "" || *out == "" {
		fail("-name, -binary and -out are required")
	}
	if !strings.Contains(*name, ":") {
		fail("-name %q must carry a tag, e.g. %s:1", *name, *name)
	}
	program, err := os.ReadFile(*binary)
	if err != nil {
		fail("-binary: %v", err)
	}
	entry := "/" + filepath.Base(*binary)

	layerTar, err := tarOf(map[string][]byte{entry[1:]: program})
	if err != nil {
		fail("layer: %v", err)
	}
	diffID := sha256.Sum256(layerTar)
	layer := newBlob(gzipped(layerTar))

	config := newBlob(mustJSON(map[string]any{
		"architecture": runtime.GOARCH,
		"os":           "linux",
		"config": map[string]any{
			"Entrypoint": []string{entry},
			"User":       *user,
			"Env":        []string{"PATH=/"},
		},
		"rootfs": map[string]any{
			"type":     "layers",
			"diff_ids": []string{"sha256:" + hex.EncodeToString(diffID[:])},
		},
	}))
	manifest := newBlob(mustJSON(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        descriptor{MediaType: "application/vnd.oci.image.config.v1+json", Digest: config.digest, Size: int64(len(config.data))},
		"layers":        []descriptor{{MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Digest: layer.digest, Size: int64(len(layer.data))}},
	}))
	index := mustJSON(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.index.v1+json",
		"manifests": []descriptor{{
			MediaType:   "application/vnd.oci.image.manifest.v1+json",
			Digest:      manifest.digest,
			Size:        int64(len(manifest.data)),
			Annotations: map[string]string{"io.containerd.image.name": *name},
			Platform:    &platform{Architecture: runtime.GOARCH, OS: "linux"},
		}},
	})

	files := map[string][]byte{
		"oci-layout": []byte(`{"imageLayoutVersion":"1.0.0"}`),
		"index.json": index,
	}
	for _, b := range []blob{layer, config, manifest} {
		files["blobs/sha256/"+strings.TrimPrefix(b.digest, "sha256:")] = b.data
	}
	archive, err := tarOf(files)
	if err != nil {
		fail("archive: %v", err)
	}
	tmp := *out + ".tmp"
	if err := os.WriteFile(tmp, archive, 0o644); err != nil {
		fail("-out: %v", err)
	}
	if err := os.Rename(tmp, *out); err != nil {
		fail("-out: %v", err)
	}
	fmt.Printf("%s %s\n", *name, manifest.digest)
}

// tarOf writes the files in name order with fixed metadata, each parent directory first.
// Top-level files other than the layout's own are the image's programs: executable.
func tarOf(files map[string][]byte) ([]byte, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	for _, n := range names {
		for d := filepath.Dir(n); d != "." && !dirs[d]; d = filepath.Dir(d) {
			dirs[d] = true
		}
	}
	dirNames := make([]string, 0, len(dirs))
	for d := range dirs {
		dirNames = append(dirNames, d)
	}
	sort.Strings(dirNames)
	epoch := time.Unix(0, 0)
	for _, d := range dirNames {
		if err := w.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
	}
	for _, n := range names {
		mode := int64(0o644)
		if !strings.Contains(n, "/") && n != "oci-layout" && n != "index.json" {
			mode = 0o755
		}
		h := &tar.Header{Typeflag: tar.TypeReg, Name: n, Mode: mode, Size: int64(len(files[n])), ModTime: epoch, Format: tar.FormatPAX}
		if err := w.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := w.Write(files[n]); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func gzipped(data []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = w.Write(data)
	_ = w.Close()
	return buf.Bytes()
}

func mustJSON(v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return data
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "ocipack: "+format+"\n", args...)
	os.Exit(2)
}
