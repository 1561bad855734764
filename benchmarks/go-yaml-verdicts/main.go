// Command go-yaml-verdicts prints, for each YAML file named on the command line, whether Go's YAML
// readers (gopkg.in/yaml.v2 and yaml.v3, the code sigs.k8s.io/yaml and kyaml vendor) decode every
// document of it, one JSON line per file. flux-lint's tests/test_yaml_suite.py uses its verdicts.
//
//	go run . ../../../shared/yaml-test-suite/*/in.yaml ../../../shared/yaml-test-suite/*/*/in.yaml
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	yaml2 "gopkg.in/yaml.v2"
	yaml3 "gopkg.in/yaml.v3"
)

func v3(b []byte) (n int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	d := yaml3.NewDecoder(bytes.NewReader(b))
	for {
		var v interface{}
		e := d.Decode(&v)
		if e == io.EOF {
			return n, nil
		}
		if e != nil {
			return n, e
		}
		n++
	}
}

func v2(b []byte) (n int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	d := yaml2.NewDecoder(bytes.NewReader(b))
	for {
		var v interface{}
		e := d.Decode(&v)
		if e == io.EOF {
			return n, nil
		}
		if e != nil {
			return n, e
		}
		n++
	}
}

func main() {
	enc := json.NewEncoder(os.Stdout)
	for _, p := range os.Args[1:] {
		b, _ := os.ReadFile(p)
		_, e3 := v3(b)
		_, e2 := v2(b)
		r := map[string]interface{}{"path": p, "v3": e3 == nil, "v2": e2 == nil}
		if e3 != nil {
			r["e3"] = e3.Error()
		}
		if e2 != nil {
			r["e2"] = e2.Error()
		}
		enc.Encode(r)
	}
}
