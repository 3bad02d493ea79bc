package packument

import (
	"unsafe"

	"github.com/lockstep-dev/lockstep/internal/jsonlite"
)

// rawFromFields fills r from a version's fields the way decoding their JSON
// object with sonic would, for the shapes real documents use: strings
// without escapes, true, false, null, and arrays and objects of those. It
// reports false for anything else (numbers, escapes, a type the field's Go
// type cannot hold), and the caller then decodes the JSON instead.
// (Checked against that path on every version of 2,851 real documents by
// TestLazyMatchesEager with LOCKSTEP_PACKUMENT_DIR.)
func rawFromFields(fields []Field, r *rawVersion) bool {
	for _, f := range fields {
		var ok bool
		switch f.Kind {
		case FieldName:
			r.Name, ok = simpleString(f.Raw)
		case FieldDependencies:
			r.Dependencies, ok = simpleStrMap(f.Raw)
		case FieldOptionalDependencies:
			r.OptionalDependencies, ok = simpleStrMap(f.Raw)
		case FieldDevDependencies:
			r.DevDependencies, ok = simpleStrMap(f.Raw)
		case FieldPeerDependencies:
			r.PeerDependencies, ok = simpleStrMap(f.Raw)
		case FieldAcceptDependencies:
			r.AcceptDependencies, ok = simpleStrMap(f.Raw)
		case FieldPeerDependenciesMeta:
			r.PeerDependenciesMeta, ok = rawMessage(f.Raw), true
		case FieldFunding:
			r.Funding, ok = rawMessage(f.Raw), true
		case FieldDistTarball:
			r.Dist.Tarball, ok = simpleString(f.Raw)
		case FieldDistIntegrity:
			r.Dist.Integrity, ok = simpleString(f.Raw)
		case FieldDistShasum:
			r.Dist.Shasum, ok = simpleString(f.Raw)
		default:
			var v any
			if v, ok = simpleAny(f.Raw); !ok {
				return false
			}
			switch f.Kind {
			case FieldBundleDependencies:
				r.BundleDependencies = v
			case FieldBundledDependencies:
				r.BundledDependencies = v
			case FieldBin:
				r.Bin = v
			case FieldEngines:
				r.Engines = v
			case FieldOS:
				r.OS = v
			case FieldCPU:
				r.CPU = v
			case FieldLibc:
				r.Libc = v
			case FieldHasInstallScript:
				r.HasInstallScript = v
			case FieldGypfile:
				r.Gypfile = v
			case FieldLicense:
				r.License = v
			case FieldHasShrinkwrap:
				r.HasShrinkwrap = v
			case FieldWorkspaces:
				r.Workspaces = v
			default:
				return false
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// rawMessage is raw as the raw message sonic would keep: the value's text.
// It views raw (the message is only read), as sonic's NoCopyRawMessage
// views its input.
func rawMessage(raw string) []byte {
	if raw == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(raw), len(raw))
}

// simpleString reads a string field: a JSON string without escapes, or
// null (which leaves a Go string empty).
func simpleString(raw string) (string, bool) {
	if raw == "null" {
		return "", true
	}
	return plainString(raw)
}

// simpleStrMap reads an object of strings without escapes, or null.
func simpleStrMap(raw string) (map[string]string, bool) {
	if raw == "null" {
		return nil, true
	}
	return jsonlite.StrMap(raw)
}

// simpleAny reads a value as sonic decodes it into an interface, when it
// is made of strings without escapes, booleans, null, arrays and objects.
func simpleAny(raw string) (any, bool) { return jsonlite.Value(raw) }
