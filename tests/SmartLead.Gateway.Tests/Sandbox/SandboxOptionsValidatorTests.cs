using SmartLead.Sandbox;

namespace SmartLead.Gateway.Tests.Sandbox;

public sealed class SandboxOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_Succeed()
    {
        Assert.True(new SandboxOptionsValidator().Validate(null, new SandboxOptions()).Succeeded);
    }

    [Fact]
    public void Validate_SeveralBadValues_ListsEveryError()
    {
        var options = new SandboxOptions
        {
            ApiKey = " ",
            PerMinute = -1,
            FaultRate500 = 0.8,
            FaultRate503 = 0.5,
            AddedLatency = TimeSpan.FromSeconds(-1),
        };

        var result = new SandboxOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Contains(failures, f => f.Contains("ApiKey", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("PerMinute", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("together", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("AddedLatency", StringComparison.Ordinal));
        Assert.Equal(4, failures.Count);
    }
}
