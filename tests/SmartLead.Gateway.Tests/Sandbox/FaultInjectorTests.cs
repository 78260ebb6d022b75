using Microsoft.Extensions.Options;
using SmartLead.Sandbox;
using SmartLead.Sandbox.Faults;

namespace SmartLead.Gateway.Tests.Sandbox;

public sealed class FaultInjectorTests
{
    [Fact]
    public void NextFault_SeededRates_ProduceTheConfiguredShares()
    {
        var faults = Create(o =>
        {
            o.FaultRate500 = 0.2;
            o.FaultRate503 = 0.1;
            o.Seed = 7;
        });

        var draws = Enumerable.Range(0, 10_000).Select(_ => faults.NextFault()).ToList();

        Assert.InRange(draws.Count(d => d == 500) / 10_000.0, 0.18, 0.22);
        Assert.InRange(draws.Count(d => d == 503) / 10_000.0, 0.08, 0.12);
        Assert.All(draws, d => Assert.True(d is null or 500 or 503));
    }

    [Fact]
    public void NextFault_SameSeed_SameSequence()
    {
        static List<int?> Run()
        {
            var faults = Create(o =>
            {
                o.FaultRate500 = 0.3;
                o.FaultRate503 = 0.3;
                o.Seed = 42;
            });
            return Enumerable.Range(0, 500).Select(_ => faults.NextFault()).ToList();
        }

        var first = Run();

        Assert.Equal(first, Run());
        Assert.Contains(500, first);
        Assert.Contains(503, first);
        Assert.Contains(null, first);
    }

    [Fact]
    public void NextFault_NoRates_NeverFaults()
    {
        var faults = Create(_ => { });

        Assert.All(Enumerable.Range(0, 1000), _ => Assert.Null(faults.NextFault()));
    }

    [Fact]
    public void NextFault_Scripted_ComeFirstThenStop()
    {
        var faults = Create(_ => { });
        faults.Script(503, 2);

        Assert.Equal(503, faults.NextFault());
        Assert.Equal(503, faults.NextFault());
        Assert.Null(faults.NextFault());
    }

    private static FaultInjector Create(Action<SandboxOptions> configure)
    {
        var options = new SandboxOptions();
        configure(options);
        return new FaultInjector(Options.Create(options));
    }
}
