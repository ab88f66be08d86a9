// Package gradcheck proves a layer right against a float64 reference
// written straight from the layer's definition.
//
// A layer test gives [Check] the layer, its per-sample input shapes and a
// naive float64 forward function. Check then sets the layer up, fills its
// inputs (and, unless told otherwise, its parameters) with seeded random
// values, and checks that:
//
//   - Forward agrees with the reference;
//   - Backward agrees with the gradient of L = Σ r·out, for a fixed random
//     r, taken numerically through the reference by central differences,
//     for every input and parameter (a seeded sample of the elements of a
//     large tensor);
//   - Backward overwrites what it writes: dIn and the parameter gradients
//     start full of NaN;
//   - Backward with dIn[0] nil skips that input and leaves the other
//     gradients as they were;
//   - Forward and Backward leave their inputs (and Backward the output)
//     untouched;
//   - the results are bit for bit the same with 1 and with 3 threads;
//   - a sample computed alone, at its global sample offset, matches the
//     same sample computed in the batch;
//   - a second Forward and Backward at the same batch size allocate
//     nothing.
//
// Because the package imports layer, tests of package layer that use it
// are written in the external test package layer_test.
package gradcheck
