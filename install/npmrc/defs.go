package npmrc

// kind is the subset of npm's config types this package interprets.
type kind uint8

const (
	kUnknown kind = iota // not defined here: raw string, ini literals honoured
	kString              // String (literals "true"/"null" stay strings)
	kBool                // Boolean
	kNumber              // Number
	kPath                // path: "~/" expanded, made absolute
	kURL                 // url: must have a host
	kList                // [String, Array] (or an enum list)
)

type definition struct {
	kind     kind
	nullable bool     // null is a valid value
	def      string   // default when hasDef
	hasDef   bool     // false: the default is null
	enum     []string // allowed list members (omit, include)
}

func str(def string) definition { return definition{kind: kString, def: def, hasDef: true} }
func boolean(def bool) definition {
	d := definition{kind: kBool, def: "false", hasDef: true}
	if def {
		d.def = "true"
	}
	return d
}
func number(def string) definition    { return definition{kind: kNumber, def: def, hasDef: true} }
func nullable(k kind) definition      { return definition{kind: k, nullable: true} }
func enumList(e ...string) definition { return definition{kind: kList, enum: e, hasDef: true} }

// definitions holds the npm 11 definitions (definitions.js) this package
// relies on; TestDefinitionsMatchNpm checks them against the installed npm.
// Keys not listed here are kept as raw strings.
var definitions = map[string]definition{
	"registry":                        {kind: kURL, def: "https://registry.npmjs.org/", hasDef: true},
	"strict-ssl":                      boolean(true),
	"cafile":                          {kind: kPath},
	"ca":                              {kind: kList, nullable: true},
	"cert":                            nullable(kString),
	"key":                             nullable(kString),
	"proxy":                           {kind: kURL, nullable: true},
	"https-proxy":                     {kind: kURL, nullable: true},
	"noproxy":                         {kind: kList, hasDef: true},
	"replace-registry-host":           str("npmjs"),
	"fetch-retries":                   number("2"),
	"fetch-retry-factor":              number("10"),
	"fetch-retry-mintimeout":          number("10000"),
	"fetch-retry-maxtimeout":          number("60000"),
	"fetch-timeout":                   number("300000"),
	"maxsockets":                      number("15"),
	"omit-lockfile-registry-resolved": boolean(false),
	"legacy-peer-deps":                boolean(false),
	"prefer-dedupe":                   boolean(false),
	"install-strategy":                str("hoisted"),
	"legacy-bundling":                 boolean(false),
	"global-style":                    boolean(false),
	"tag":                             str("latest"),
	"before":                          {kind: kUnknown, nullable: true}, // a Date: resolve parses it
	"strict-peer-deps":                boolean(false),
	"force":                           boolean(false),
	"ignore-scripts":                  boolean(false),
	"foreground-scripts":              boolean(false),
	"script-shell":                    nullable(kString),
	"engine-strict":                   boolean(false),
	"prefer-offline":                  boolean(false),
	"prefer-online":                   boolean(false),
	"offline":                         boolean(false),
	"bin-links":                       boolean(true),
	"package-lock":                    boolean(true),
	"audit":                           boolean(true),
	"fund":                            boolean(true),
	"dev":                             boolean(false),
	"production":                      {kind: kBool, nullable: true},
	"optional":                        {kind: kBool, nullable: true},
	"only":                            nullable(kString),
	"also":                            nullable(kString),
	"omit":                            enumList("dev", "optional", "peer"),
	"include":                         enumList("prod", "dev", "optional", "peer"),
	"os":                              nullable(kString),
	"cpu":                             nullable(kString),
	"libc":                            nullable(kString),
	"userconfig":                      {kind: kPath, def: "~/.npmrc", hasDef: true},
	"globalconfig":                    {kind: kPath},
	"prefix":                          {kind: kPath},
	"_auth":                           nullable(kString),
}
