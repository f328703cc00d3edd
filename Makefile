# eb-operator. `make help` lists the targets.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

LOCALBIN ?= $(CURDIR)/bin
CONTROLLER_TOOLS_VERSION ?= v0.23.0
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
KUBEBUILDER_ASSETS ?= $(LOCALBIN)/k8s
IMG ?= eb-operator:dev
# Number of EBApiKeys in the benchmark (10 per EBClient).
N ?= 1000
# How long `make test` fuzzes the EB response decoder.
FUZZTIME ?= 15s

.PHONY: help
help: ## List the targets.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*##/ { printf "  %-16s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate the CRDs and RBAC under config/.
	$(CONTROLLER_GEN) rbac:roleName=eb-operator-manager crd paths="./..." \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate deepcopy code for the API types.
	$(CONTROLLER_GEN) object paths="./api/..."

.PHONY: verify-generated
verify-generated: manifests generate ## Fail when generated files differ from the committed ones.
	@git diff --exit-code -- config api || { echo "run 'make manifests generate' and commit the result"; exit 1; }

.PHONY: fmt
fmt: ## Run gofmt on the module.
	gofmt -l -w $$(git ls-files '*.go' | grep -v '^hack/tools/')

.PHONY: vet
vet: ## Run go vet.
	go vet ./...

.PHONY: controlplane
controlplane: ## Build kube-apiserver and etcd into bin/k8s (first run only).
	./hack/controlplane.sh

.PHONY: test
test: controlplane ## Run unit and envtest integration tests, and a short fuzz run.
	KUBEBUILDER_ASSETS=$(KUBEBUILDER_ASSETS) go test -race -count=1 -timeout 30m ./...
	go test -run '^$$' -fuzz FuzzDecodeResponse -fuzztime $(FUZZTIME) ./internal/ebapi

##@ Run

.PHONY: demo
demo: controlplane ## Run the simulator, a local control plane, the operator and the samples.
	go build -o $(LOCALBIN)/eb-demo ./hack/demo
	$(LOCALBIN)/eb-demo

.PHONY: run
run: ## Run the operator against the current kubeconfig.
	go run . $(ARGS)

.PHONY: bench
bench: controlplane ## Benchmark N EBApiKeys to Ready against a client-go floor.
	go run ./hack/bench --keys $(N) --out docs/benchmarks.md

##@ Build

.PHONY: build
build: ## Build the manager binary into bin/.
	go build -o $(LOCALBIN)/manager .

.PHONY: docker-build
docker-build: ## Build the container image (needs a Docker engine).
	docker build -t $(IMG) .

.PHONY: install
install: manifests ## Install the CRDs into the current cluster.
	kubectl apply -k config/crd

.PHONY: deploy
deploy: manifests ## Deploy the operator to the current cluster.
	kubectl apply -k config/default

$(CONTROLLER_GEN):
	GOBIN=$(LOCALBIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)
