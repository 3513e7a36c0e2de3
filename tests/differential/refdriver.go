// refdriver: the verdict of the reference validator (appc/spec 0.8.11, the
// code `actool validate --type=manifest FILE` runs) for many documents in one
// process. Test harness only; built in GOPATH mode against Debian's
// golang-github-appc-spec-dev sources (see tests/differential/run_differential.py).
//
// Usage:
//   refdriver FILE...   one line per file: "valid|invalid|panic<TAB>FILE<TAB>message"
//   refdriver -stream   reads records "<decimal length>\n<bytes>" from stdin and
//                       writes one line per record: "valid|invalid|panic<TAB>message"
//
// The per-document code path is a copy of the typeManifest branch of
// actool/validate.go runValidate: schema.Kind.UnmarshalJSON, then
// ImageManifest/PodManifest.UnmarshalJSON by acKind; a kind that is neither
// makes actool panic ("bad ACKind", exit 2), which counts as invalid, as does
// any other panic inside the reference code.
package main

import (
	"bufio"
	"fmt"
	"io"
	"io/ioutil"
	"os"
	"strconv"
	"strings"

	"github.com/appc/spec/schema"
)

func verdict(b []byte) (v string, msg string) {
	defer func() {
		if r := recover(); r != nil {
			v, msg = "panic", fmt.Sprintf("panic: %v", r)
		}
	}()
	k := schema.Kind{}
	if err := k.UnmarshalJSON(b); err != nil {
		return "invalid", "error unmarshaling manifest: " + err.Error()
	}
	var err error
	switch k.ACKind {
	case "ImageManifest":
		m := schema.ImageManifest{}
		err = m.UnmarshalJSON(b)
	case "PodManifest":
		m := schema.PodManifest{}
		err = m.UnmarshalJSON(b)
	default:
		panic("bad ACKind")
	}
	if err != nil {
		return "invalid", fmt.Sprintf("invalid %s: %v", k.ACKind, err)
	}
	return "valid", ""
}

func oneLine(s string) string {
	return strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s)
}

func stream() int {
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriterSize(os.Stdout, 1<<16)
	defer out.Flush()
	for {
		line, err := in.ReadString('\n')
		if err == io.EOF && line == "" {
			return 0
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "refdriver: reading record header: %v\n", err)
			return 2
		}
		n, err := strconv.Atoi(strings.TrimSpace(line))
		if err != nil || n < 0 {
			fmt.Fprintf(os.Stderr, "refdriver: bad record header %q\n", line)
			return 2
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(in, b); err != nil {
			fmt.Fprintf(os.Stderr, "refdriver: short record: %v\n", err)
			return 2
		}
		v, msg := verdict(b)
		fmt.Fprintf(out, "%s\t%s\n", v, oneLine(msg))
		// Flushed per record, like ours_driver: a crash shows which record.
		out.Flush()
	}
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "-stream" {
		os.Exit(stream())
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: refdriver -stream | refdriver FILE...")
		os.Exit(2)
	}
	rc := 0
	for _, path := range os.Args[1:] {
		b, err := ioutil.ReadFile(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "refdriver: %v\n", err)
			rc = 2
			continue
		}
		v, msg := verdict(b)
		fmt.Printf("%s\t%s\t%s\n", v, path, oneLine(msg))
	}
	os.Exit(rc)
}
