// Package examples holds Mariana's example specs, built into the binary so
// that `mariana train` can run one without a file at hand:
//
//   - mnist-mlp: a 784-1024-1024-10 ReLU perceptron on MNIST.
//   - mnist-lenet: Caffe's LeNet on MNIST.
//   - cifar10-quick: Caffe's cifar10_quick network and solver on CIFAR-10.
//   - speech-dnn: a speech-style DNN (440-2048x4-3000, sigmoid) on random
//     data, for speed and data-parallel benchmarks.
//   - alexnet-small: the two-column network of Krizhevsky et al. (2012) on
//     96x96 random data, cut into its two columns on two workers, for the
//     model-parallel framework.
//
// The YAML files in this folder are the examples; each is also a commented
// sample of the spec format (see package spec). Parsed from here, an
// example's relative data.dir resolves against the working directory, as
// if the file sat there.
package examples
