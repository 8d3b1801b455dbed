# hezar: the two commands a fresh Debian 12 machine needs are `make demo` and `make test`.
# Every target installs what is missing first (scripts/install-deps.sh is idempotent).

HEZAR := bazel-bin/cli/hezar
DEMO_CONFIG := configs/image_classification/sample_net_fashion_mnist.yaml
DEMO_OUT := out/sample_net_fashion_mnist
FASHION := /usr/share/datasets/fashion-mnist

.PHONY: deps build demo test bench clean

deps:
	@bash scripts/install-deps.sh

build: deps
	bazel build //cli:hezar

# Trains sample_net on Fashion-MNIST (Debian's dataset-fashion-mnist), evaluates it on the 10k test
# images and classifies a few of them.
demo: build
	$(HEZAR) train $(DEMO_CONFIG) --output-dir $(DEMO_OUT)
	$(HEZAR) eval $(DEMO_OUT) --dataset $(DEMO_CONFIG)
	/usr/bin/python3 scripts/idx_to_png.py $(FASHION)/t10k-images-idx3-ubyte.gz \
	  $(FASHION)/t10k-labels-idx1-ubyte.gz out/demo_images 6 > /dev/null
	$(HEZAR) predict $(DEMO_OUT) out/demo_images/*.png --top-k 2

test: deps
	@bash scripts/install-npm-peers.sh || echo "install-npm-peers failed: npm oracle tests will skip"
	@bash scripts/install-test-material.sh || echo "install-test-material failed: php-faker/spm tests will skip"
	@bash scripts/run-tests.sh

bench: build
	@bash bench/run.sh

clean:
	bazel clean
	rm -rf out
