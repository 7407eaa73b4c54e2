// Every test shares one CudaDevice and its one stream; a graph capture in one test must not see another test's
// work on that stream, so the GPU tests run one at a time.
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerAssembly)]
