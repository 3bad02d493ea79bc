module github.com/lockstep-dev/lockstep

go 1.26.8

require (
	github.com/bytedance/sonic v1.15.5 // required: fast JSON decoding of lockfiles and packuments
	github.com/google/go-github/v62 v62.0.0 // the PR comment and contents API, in internal/action only
	github.com/klauspost/compress v1.20.4 // zstd for GitHub Actions cache archives (cache/actionscache); tarballs are inflated by install/inflate
	github.com/rhysd/actionlint v1.7.12 // why: tests only (internal/action) lint action.yml and examples/workflows as GitHub would, no Docker or network needed
	github.com/sethvargo/go-githubactions v1.3.2 // inputs, context, outputs, summary: internal/action only
	go.yaml.in/yaml/v3 v3.0.6 // pnpm-lock.yaml (flow maps, quoted keys) in diff/lockfile/pnpm; action.yml in internal/action tests
	golang.org/x/sync v0.25.0 // required: errgroup, singleflight
	golang.org/x/sys v0.50.0 // flock, FICLONE, *at syscalls for the store and the linker
	golang.org/x/text v0.44.0 // ICU "en" collation: npm sorts lockfile keys and script order with it
)

require (
	github.com/bmatcuk/doublestar/v4 v4.10.0 // indirect
	github.com/bytedance/gopkg v0.1.3 // indirect
	github.com/bytedance/sonic/loader v0.5.3 // indirect
	github.com/clipperhouse/uax29/v2 v2.7.0 // indirect
	github.com/cloudwego/base64x v0.1.6 // indirect
	github.com/fatih/color v1.19.0 // indirect
	github.com/google/go-querystring v1.1.0 // indirect
	github.com/klauspost/cpuid/v2 v2.2.9 // indirect
	github.com/mattn/go-colorable v0.1.14 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
	github.com/mattn/go-runewidth v0.0.21 // indirect
	github.com/mattn/go-shellwords v1.0.12 // indirect
	github.com/robfig/cron/v3 v3.0.1 // indirect
	github.com/twitchyliquid64/golang-asm v0.15.1 // indirect
	go.yaml.in/yaml/v4 v4.0.0-rc.3 // indirect
	golang.org/x/arch v0.0.0-20210923205945-b76863e36670 // indirect
)
