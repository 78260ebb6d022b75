using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SmartLead.Gateway.Configuration;

namespace SmartLead.Gateway.Tests.Configuration;

public sealed class LiveOptionsTests
{
    [Fact]
    public void Reload_PostConfigureAndValidators_ApplyAsAtStart()
    {
        using var host = new Host(new() { ["Sample:Value"] = "2" }, builder => builder
            .PostConfigure(o => o.Doubled = o.Value * 2)
            .Validate(o => o.Value >= 0, "Sample:Value must not be negative."));

        host.Reload("Sample:Value", "5");

        Assert.Equal(5, host.Live.Current.Value);
        Assert.Equal(10, host.Live.Current.Doubled);
    }

    [Fact]
    public void Reload_InvalidValue_KeepsTheLastGoodValuesAndRaisesNothing()
    {
        using var host = new Host(new() { ["Sample:Value"] = "2" }, builder => builder.Validate(o => o.Value >= 0, "negative"));
        var changes = 0;
        host.Live.Changed += _ => changes++;

        host.Reload("Sample:Value", "-1");
        host.Reload("Sample:Value", "not a number");

        Assert.Equal(2, host.Live.Current.Value);
        Assert.Equal(0, changes);
    }

    [Fact]
    public void Reload_DataAnnotationsFail_KeepsTheLastGoodValues()
    {
        using var host = new Host(new() { ["Sample:Value"] = "2" });

        host.Reload("Sample:Value", "1000");

        Assert.Equal(2, host.Live.Current.Value);
    }

    [Fact]
    public void Reload_NoValueOfTheSectionChanged_RaisesNoChange()
    {
        using var host = new Host(new() { ["Sample:Value"] = "2", ["Other:Thing"] = "a" });
        var changes = new List<SampleOptions>();
        host.Live.Changed += changes.Add;

        host.Reload("Other:Thing", "b");
        host.Reload("Sample:Value", "3");
        host.Reload("Sample:Value", "3");

        Assert.Equal(3, Assert.Single(changes).Value);
    }

    [Fact]
    public void AddLiveOptions_Twice_BindsOnceAndChecksOnce()
    {
        using var host = new Host(new() { ["Sample:Codes:0"] = "503" }, extra: services => services.AddLiveOptions<SampleOptions>("Sample"));

        Assert.Equal([503], host.Live.Current.Codes);
        Assert.Single(host.Services.GetServices<IStartupSettingsCheck>());
    }

    [Fact]
    public void OptionsMonitor_AfterAnInvalidReload_StillAnswers()
    {
        // The framework's monitor must never re-validate on the reload thread (an exception there ends the process).
        using var host = new Host(new() { ["Sample:Value"] = "2" });
        var monitor = host.Services.GetRequiredService<IOptionsMonitor<SampleOptions>>();
        Assert.Equal(2, monitor.CurrentValue.Value);

        host.Reload("Sample:Value", "-5000");

        Assert.Equal(2, monitor.CurrentValue.Value);
    }

    internal sealed class SampleOptions
    {
        [System.ComponentModel.DataAnnotations.Range(-100, 100)]
        public int Value { get; set; } = 1;

        public int Doubled { get; set; }

        public List<int> Codes { get; set; } = [];
    }

    private sealed class Host : IDisposable
    {
        private readonly IConfigurationRoot _configuration;

        public Host(Dictionary<string, string?> values, Action<OptionsBuilder<SampleOptions>>? configure = null, Action<IServiceCollection>? extra = null)
        {
            _configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
            var services = new ServiceCollection();
            services.AddSingleton<IConfiguration>(_configuration);
            services.AddLogging();
            var builder = services.AddLiveOptions<SampleOptions>("Sample");
            configure?.Invoke(builder);
            extra?.Invoke(services);
            Services = services.BuildServiceProvider();
            Live = Services.GetRequiredService<LiveOptions<SampleOptions>>();
        }

        public ServiceProvider Services { get; }

        public LiveOptions<SampleOptions> Live { get; }

        public void Reload(string key, string value)
        {
            _configuration[key] = value;
            _configuration.Reload();
        }

        public void Dispose() => Services.Dispose();
    }
}
