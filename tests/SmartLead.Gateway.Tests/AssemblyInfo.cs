// WebApplicationFactory finds the gateway's host by listening to every host built in the process while Program runs.
// A host that another test builds at the same moment (the sandbox, a test pipeline) can be taken for the gateway's,
// and vice versa: seen as rare, random failures. Test classes therefore run one at a time; each stays fast.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
