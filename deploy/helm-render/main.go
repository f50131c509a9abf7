// helm-render: `helm template` for machines without the helm binary (ours and CI's: neither helm
// nor a Go module proxy is reachable there). It is Helm's own rendering recipe on the same
// libraries Helm uses, all from Debian packages: Go's text/template, Masterminds/sprig (minus the
// env functions, as Helm does), Helm's extra functions (include, tpl, required, toYaml, fromYaml,
// toJson, fail, lookup answering empty as `helm template` does), values.yaml merged with --set
// (Helm's type inference for scalars) and validated against values.schema.json with gojsonschema.
//
//	GOPATH=/usr/share/gocode GO111MODULE=off go build -o /tmp/helm-render ./deploy/helm-render
//	/tmp/helm-render [--set a.b=c]… [--api-versions group/version]… [--namespace ns] RELEASE CHART_DIR
//
// Prints the manifests as `helm template` does (`---` and `# Source:` lines); exits 1 with the
// error on a schema violation, a missing value (missingkey=error) or a template failure.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"github.com/xeipuuv/gojsonschema"
	"gopkg.in/yaml.v3"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// Capabilities mirrors the fields charts use: .Capabilities.APIVersions.Has and .KubeVersion.
type APIVersions []string

func (a APIVersions) Has(v string) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

type KubeVersion struct{ Version, Major, Minor string }

type Capabilities struct {
	APIVersions APIVersions
	KubeVersion KubeVersion
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	var sets, apis multi
	namespace := "default"
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs a value", a)
			}
			i++
			return args[i], nil
		}
		switch {
		case a == "--set" || a == "--api-versions" || a == "-a" || a == "--namespace" || a == "-n":
			v, err := next()
			if err != nil {
				return err
			}
			switch a {
			case "--set":
				sets = append(sets, v)
			case "--namespace", "-n":
				namespace = v
			default:
				apis = append(apis, v)
			}
		case strings.HasPrefix(a, "--set="):
			sets = append(sets, strings.TrimPrefix(a, "--set="))
		case strings.HasPrefix(a, "--api-versions="):
			apis = append(apis, strings.TrimPrefix(a, "--api-versions="))
		case strings.HasPrefix(a, "-"):
			return fmt.Errorf("unknown flag %s", a)
		default:
			pos = append(pos, a)
		}
	}
	if len(pos) != 2 {
		return errors.New("usage: helm-render [--set k=v]… [--api-versions g/v]… [--namespace ns] RELEASE CHART_DIR")
	}
	release, dir := pos[0], pos[1]

	chartMeta := map[string]interface{}{}
	if err := readYaml(filepath.Join(dir, "Chart.yaml"), &chartMeta); err != nil {
		return err
	}
	values := map[string]interface{}{}
	if err := readYaml(filepath.Join(dir, "values.yaml"), &values); err != nil {
		return err
	}
	for _, s := range sets {
		if err := applySet(values, s); err != nil {
			return fmt.Errorf("--set %q: %w", s, err)
		}
	}
	if err := validateSchema(dir, values); err != nil {
		return err
	}

	// Helm exposes Chart.yaml's fields capitalized (.Chart.Name, .Chart.AppVersion).
	chart := map[string]interface{}{}
	for k, v := range chartMeta {
		chart[strings.ToUpper(k[:1])+k[1:]] = v
	}
	if v, ok := chartMeta["apiVersion"]; ok {
		chart["APIVersion"] = v
	}
	name, _ := chartMeta["name"].(string)
	caps := Capabilities{
		APIVersions: append(APIVersions{"v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v2", "networking.k8s.io/v1"}, apis...),
		KubeVersion: KubeVersion{Version: "v1.31.0", Major: "1", Minor: "31"},
	}

	files, err := filepath.Glob(filepath.Join(dir, "templates", "*"))
	if err != nil {
		return err
	}
	sort.Strings(files)
	root := template.New("chart")
	funcs := funcMap(root)
	root.Funcs(funcs).Option("missingkey=error")
	var outputs []string
	for _, f := range files {
		base := filepath.Base(f)
		if !strings.HasSuffix(base, ".yaml") && !strings.HasSuffix(base, ".yml") && !strings.HasSuffix(base, ".tpl") {
			continue
		}
		text, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		tname := name + "/templates/" + base
		if _, err := root.New(tname).Parse(string(text)); err != nil {
			return err
		}
		if !strings.HasPrefix(base, "_") {
			outputs = append(outputs, tname)
		}
	}
	top := map[string]interface{}{
		"Values":       values,
		"Chart":        chart,
		"Capabilities": caps,
		"Release": map[string]interface{}{
			"Name": release, "Namespace": namespace, "Service": "Helm", "IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
	}
	var out bytes.Buffer
	for _, tname := range outputs {
		data := map[string]interface{}{}
		for k, v := range top {
			data[k] = v
		}
		data["Template"] = map[string]interface{}{"Name": tname, "BasePath": name + "/templates"}
		var b bytes.Buffer
		if err := root.ExecuteTemplate(&b, tname, data); err != nil {
			return err
		}
		// Helm's "<no value>" for a missing key under missingkey=zero cannot happen here
		// (missingkey=error), so the text is the manifest.
		text := strings.TrimSpace(b.String())
		if text == "" {
			continue
		}
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", tname, text)
	}
	_, err = os.Stdout.Write(out.Bytes())
	return err
}

func readYaml(path string, into *map[string]interface{}) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(b, into); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if *into == nil {
		*into = map[string]interface{}{}
	}
	return nil
}

// applySet follows Helm's strvals for `a.b.c=value` (several separated by unescaped commas):
// "true"/"false" become booleans, "null" removes the key, integers become int64, everything else
// stays a string.
func applySet(values map[string]interface{}, expr string) error {
	for _, part := range splitUnescaped(expr, ',') {
		eq := strings.IndexByte(part, '=')
		if eq <= 0 {
			return errors.New("expected key=value")
		}
		keys := strings.Split(part[:eq], ".")
		raw := strings.ReplaceAll(part[eq+1:], `\,`, ",")
		cur := values
		for _, k := range keys[:len(keys)-1] {
			next, ok := cur[k].(map[string]interface{})
			if !ok {
				next = map[string]interface{}{}
				cur[k] = next
			}
			cur = next
		}
		last := keys[len(keys)-1]
		switch {
		case raw == "true":
			cur[last] = true
		case raw == "false":
			cur[last] = false
		case raw == "null":
			delete(cur, last)
		default:
			if n, err := strconv.ParseInt(raw, 10, 64); err == nil && (raw == "0" || !strings.HasPrefix(raw, "0")) {
				cur[last] = n
			} else {
				cur[last] = raw
			}
		}
	}
	return nil
}

func splitUnescaped(s string, sep byte) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == sep {
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

func validateSchema(dir string, values map[string]interface{}) error {
	schemaPath := filepath.Join(dir, "values.schema.json")
	schema, err := os.ReadFile(schemaPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	doc, err := json.Marshal(values)
	if err != nil {
		return err
	}
	res, err := gojsonschema.Validate(gojsonschema.NewBytesLoader(schema), gojsonschema.NewBytesLoader(doc))
	if err != nil {
		return fmt.Errorf("values.schema.json: %w", err)
	}
	if res.Valid() {
		return nil
	}
	var msgs []string
	for _, e := range res.Errors() {
		msgs = append(msgs, "- "+e.String())
	}
	return fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%s", strings.Join(msgs, "\n"))
}

func toYaml(v interface{}) string {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func funcMap(root *template.Template) template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	f["toYaml"] = toYaml
	f["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["toJson"] = func(v interface{}) string {
		b, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(b)
	}
	f["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return nil, errors.New(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return nil, errors.New(msg)
		}
		return v, nil
	}
	f["fail"] = func(msg string) (string, error) { return "", errors.New(msg) }
	// `helm template` has no cluster: lookup answers an empty map, as Helm does offline.
	f["lookup"] = func(apiVersion, kind, namespace, name string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	f["include"] = func(name string, data interface{}) (string, error) {
		var b bytes.Buffer
		if err := root.ExecuteTemplate(&b, name, data); err != nil {
			return "", err
		}
		return b.String(), nil
	}
	f["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var b bytes.Buffer
		if err := t.Execute(&b, data); err != nil {
			return "", err
		}
		return b.String(), nil
	}
	return f
}
