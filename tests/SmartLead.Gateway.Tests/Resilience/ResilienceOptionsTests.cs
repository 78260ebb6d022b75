using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SmartLead.Gateway.Resilience;

namespace SmartLead.Gateway.Tests.Resilience;

public sealed class ResilienceOptionsTests
{
    [Fact]
    public void RetryOptions_Unconfigured_UsesDocumentedDefaults()
    {
        var options = Bind<RetryOptions>(new Dictionary<string, string?>(), RetryOptions.SectionName);

        Assert.Equal(5, options.MaxRetries);
        Assert.Equal(TimeSpan.FromSeconds(1), options.BaseDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), options.MaxDelay);
        Assert.Equal(TimeSpan.FromSeconds(60), options.MaxRetryAfter);
        Assert.Equal([429, 500, 502, 503, 504], options.GetStatusCodes());
        Assert.Equal(["POST /api/v1/campaigns/{id}/leads", "POST /api/v1/lead-list/{id}/import"], options.GetReplaySafeRoutes());
    }

    [Fact]
    public void RetryOptions_ConfiguredStatusCodes_ReplaceTheDefaults()
    {
        var options = Bind<RetryOptions>(
            new Dictionary<string, string?> { ["Retry:StatusCodes:0"] = "503", ["Retry:ReplaySafeRoutes:0"] = "POST /x/{id}" },
            RetryOptions.SectionName);

        Assert.Equal([503], options.GetStatusCodes());
        Assert.Equal(["POST /x/{id}"], options.GetReplaySafeRoutes());
    }

    [Fact]
    public void RetryOptionsValidator_BadValues_ListsEveryError()
    {
        var result = new RetryOptionsValidator().Validate(null, new RetryOptions
        {
            MaxRetries = -1,
            BaseDelay = TimeSpan.Zero,
            MaxRetryAfter = TimeSpan.FromSeconds(-1),
            StatusCodes = [404, 200],
            ReplaySafeRoutes = ["campaigns/{id}"],
            MaxBufferedBodyBytes = 0,
        });

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Equal(7, failures.Count);
        Assert.Contains(failures, f => f.Contains("Retry:MaxRetries", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Retry:BaseDelay", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Retry:MaxRetryAfter", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("must not hold 404", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("found 200", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Retry:ReplaySafeRoutes", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Retry:MaxBufferedBodyBytes", StringComparison.Ordinal));
    }

    [Fact]
    public void RetryOptionsValidator_MaxDelayBelowBaseDelay_Fails()
    {
        var result = new RetryOptionsValidator().Validate(null, new RetryOptions { BaseDelay = TimeSpan.FromSeconds(5), MaxDelay = TimeSpan.FromSeconds(1) });

        Assert.Contains(result.Failures!, f => f.Contains("Retry:MaxDelay", StringComparison.Ordinal));
    }

    [Fact]
    public void RetryOptionsValidator_Defaults_Pass() =>
        Assert.True(new RetryOptionsValidator().Validate(null, new RetryOptions()).Succeeded);

    [Fact]
    public void CircuitBreakerOptions_Unconfigured_UsesDocumentedDefaults()
    {
        var options = Bind<CircuitBreakerOptions>(new Dictionary<string, string?>(), CircuitBreakerOptions.SectionName);

        Assert.True(options.Enabled);
        Assert.Equal(0.5, options.FailureRatio);
        Assert.Equal(10, options.MinimumThroughput);
        Assert.Equal(TimeSpan.FromSeconds(30), options.SamplingDuration);
        Assert.Equal(TimeSpan.FromSeconds(30), options.BreakDuration);
        Assert.True(new CircuitBreakerOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void CircuitBreakerOptionsValidator_BadValues_ListsEveryError()
    {
        var result = new CircuitBreakerOptionsValidator().Validate(null, new CircuitBreakerOptions
        {
            FailureRatio = 0,
            MinimumThroughput = 1,
            SamplingDuration = TimeSpan.FromMilliseconds(10),
            BreakDuration = TimeSpan.FromDays(2),
        });

        Assert.Equal(4, result.Failures!.Count());
    }

    [Fact]
    public void AddGatewayResilience_InvalidSettings_FailsWithEveryError()
    {
        using var host = new ResilienceTestHost(new Dictionary<string, string?>
        {
            ["Retry:MaxRetries"] = "99",
            ["Retry:StatusCodes:0"] = "401",
        });

        var ex = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<RetryOptions>>().Value);
        Assert.Equal(2, ex.Failures.Count());
    }

    [Fact]
    public void AddGatewayResilience_CalledTwice_BindsTheSettingsOnce()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Retry:StatusCodes:0"] = "503" })
            .Build());
        services.AddLogging();

        services.AddGatewayResilience().AddGatewayResilience();
        using var provider = services.BuildServiceProvider();

        Assert.Equal([503], provider.GetRequiredService<IOptions<RetryOptions>>().Value.GetStatusCodes());
        Assert.NotNull(provider.GetRequiredService<UpstreamResiliencePipeline>());
    }

    private static T Bind<T>(Dictionary<string, string?> values, string section)
        where T : class, new()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var options = new T();
        configuration.GetSection(section).Bind(options);
        return options;
    }
}
