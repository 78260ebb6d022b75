using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SmartLead.Gateway.Budget;
using SmartLead.Gateway.Configuration;
using SmartLead.Gateway.Telemetry;

namespace SmartLead.Gateway.Tests.Budget;

public sealed class BudgetServiceCollectionExtensionsTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void AddUpstreamBudget_InvalidSettings_FailValidationListingEveryError()
    {
        using var provider = Build(new()
        {
            ["RateLimit:TokenLimit"] = "0",
            ["RateLimit:QueueLimit"] = "-5",
        }, out _);

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RateLimitOptions>>().Value);

        Assert.Equal(2, error.Failures.Count());
    }

    [Fact]
    public void AddUpstreamBudget_WindowOfANewLengthFromSettings_JoinsThePlansWindows()
    {
        using var provider = Build(new()
        {
            ["RateLimit:Windows:0:PermitLimit"] = "3",
            ["RateLimit:Windows:0:Window"] = "00:00:10",
        }, out _);

        var windows = BudgetPlans.Resolve(provider.GetRequiredService<IOptions<RateLimitOptions>>().Value).Windows;

        Assert.Equal([1, 10, 60, 3600], windows.Select(w => (int)w.Window.TotalSeconds));
        var window = windows.Single(w => w.Window == TimeSpan.FromSeconds(10));
        Assert.Equal(3, window.PermitLimit);
        Assert.Equal(BudgetPlans.FromSetting, window.Source);
    }

    [Fact]
    public void HotReload_ValidChange_AppliesNewLimits()
    {
        using var provider = Build(new()
        {
            ["RateLimit:TokenLimit"] = "1",
            ["RateLimit:TokensPerPeriod"] = "1",
            ["RateLimit:ReplenishmentPeriod"] = "01:00:00",
            ["RateLimit:QueueLimit"] = "0",
        }, out var configuration);
        var budget = provider.GetRequiredService<UpstreamBudget>();
        Assert.True(budget.Take());
        Assert.False(budget.Take());

        configuration["RateLimit:ReplenishmentPeriod"] = "00:00:01";
        configuration.Reload();
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.True(budget.Take());
    }

    [Fact]
    public void HotReload_InvalidChange_KeepsLastGoodLimitsAndLogsError()
    {
        var logs = new ListLoggerProvider();
        using var provider = Build(new()
        {
            ["RateLimit:TokenLimit"] = "1",
            ["RateLimit:TokensPerPeriod"] = "1",
            ["RateLimit:ReplenishmentPeriod"] = "01:00:00",
            ["RateLimit:QueueLimit"] = "0",
        }, out var configuration, logs);
        var budget = provider.GetRequiredService<UpstreamBudget>();
        Assert.True(budget.Take());

        configuration["RateLimit:ReplenishmentPeriod"] = "00:00:01";
        configuration["RateLimit:TokenLimit"] = "0";
        configuration.Reload();
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.False(budget.Take());
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("RateLimit:TokenLimit", StringComparison.Ordinal));
    }

    [Fact]
    public void HotReload_Disabled_SwitchesTheBudgetOff()
    {
        using var provider = Build(new()
        {
            ["RateLimit:TokenLimit"] = "1",
            ["RateLimit:QueueLimit"] = "0",
        }, out var configuration);
        var budget = provider.GetRequiredService<UpstreamBudget>();

        configuration["RateLimit:Enabled"] = "false";
        configuration.Reload();

        Assert.False(budget.IsEnabled);
        Assert.All(Enumerable.Range(0, 10).Select(_ => budget.AttemptAcquire()), l => Assert.True(l.IsAcquired));
    }

    [Fact]
    public async Task HotReload_JsonFileEdited_NewLimitsApplyWithinFiveSeconds()
    {
        var directory = Directory.CreateTempSubdirectory("budget-reload-");
        try
        {
            var file = Path.Combine(directory.FullName, "limits.json");
            const string slow = """{ "RateLimit": { "TokenLimit": 1, "TokensPerPeriod": 1, "ReplenishmentPeriod": "01:00:00", "QueueLimit": 0 } }""";
            await File.WriteAllTextAsync(file, slow);
            var configuration = new ConfigurationBuilder().AddJsonFile(file, optional: false, reloadOnChange: true).Build();
            var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
            services.AddUpstreamBudget();
            await using var provider = services.BuildServiceProvider();
            var budget = provider.GetRequiredService<UpstreamBudget>();
            Assert.True(budget.Take());
            Assert.False(budget.Take());

            await File.WriteAllTextAsync(file, slow.Replace("01:00:00", "00:00:00.100", StringComparison.Ordinal));
            var edited = System.Diagnostics.Stopwatch.StartNew();
            while (!budget.Take())
            {
                Assert.True(edited.Elapsed < TimeSpan.FromSeconds(5), "the new limits did not apply within 5 s");
                await Task.Delay(50);
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void StatusSource_ReportsPlanStoreEveryLimitAndTheQueue()
    {
        using var provider = Build(new() { ["RateLimit:Windows:0:PermitLimit"] = "40", ["RateLimit:Windows:0:Window"] = "00:01:00" }, out _);
        var budget = provider.GetRequiredService<UpstreamBudget>();
        Assert.True(budget.Take());

        var status = provider.GetRequiredService<IBudgetStatusSource>().GetStatus();

        Assert.Same(budget, provider.GetRequiredService<IBudgetStatusSource>());
        Assert.Equal(("Standard", "Memory", true, true), (status.Plan, status.Store, status.StoreReachable, status.Enabled));
        Assert.Equal(
            [("bucket", 8, 7, "plan"), ("1s", 8, 7, "plan"), ("1m", 40, 39, "setting"), ("1h", 850, 849, "plan")],
            status.Limits.Select(l => (l.Name, l.PermitLimit, l.Available, l.Source)));
        Assert.Equal((0, 200, TimeSpan.Zero), (status.QueueLength, status.QueueLimit, status.LongestWait));
        Assert.Null(status.CooldownUntil);

        budget.PauseFor(TimeSpan.FromSeconds(30), "429 Retry-After");
        var paused = provider.GetRequiredService<IBudgetStatusSource>().GetStatus();
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(30), paused.CooldownUntil);
        Assert.Equal("429 Retry-After", paused.CooldownReason);
    }

    [Fact]
    public async Task Gauges_QueueLengthAndPermitsAvailablePerLimit()
    {
        using var provider = Build(new() { ["RateLimit:Plan"] = "Custom", ["RateLimit:TokenLimit"] = "1", ["RateLimit:TokensPerPeriod"] = "1", ["RateLimit:ReplenishmentPeriod"] = "00:00:10" }, out _);
        var budget = provider.GetRequiredService<UpstreamBudget>();
        var meter = provider.GetRequiredService<GatewayMetrics>().Meter;
        Assert.True(budget.Take());
        var waiting = budget.AcquireAsync().AsTask();
        var measurements = new List<(string Instrument, int Value, string? Limit)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == meter)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) =>
            measurements.Add((instrument.Name, value, tags.ToArray().FirstOrDefault(t => t.Key == "limit").Value as string)));
        listener.Start();

        listener.RecordObservableInstruments();

        Assert.Contains(("smartlead_gateway.ratelimit.queue_length", 1, null), measurements);
        Assert.Contains(("smartlead_gateway.ratelimit.permits_available", 0, "bucket"), measurements);
        budget.Dispose();
        Assert.False((await waiting).IsAcquired);
    }

    [Fact]
    public void Start_LogsEffectiveLimitsInOneLineAndWarnsOfACoveredSetting()
    {
        var logs = new ListLoggerProvider();
        using var provider = Build(new() { ["RateLimit:TokenLimit"] = "1000000", ["RateLimit:TokensPerPeriod"] = "1000000" }, out _, logs);

        _ = provider.GetRequiredService<UpstreamBudget>();

        var line = Assert.Single(logs.Entries, e => e.Message.StartsWith("Upstream budget in force", StringComparison.Ordinal));
        Assert.Contains("plan Standard, store Memory, limits bucket 1000000 (+1000000 per 00:00:01, setting), 1s 8 per 00:00:01 (plan), 1m 50 per 00:01:00 (plan), 1h 850 per 01:00:00 (plan)", line.Message, StringComparison.Ordinal);
        var warning = Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("the bucket of 1000000", warning.Message, StringComparison.Ordinal);
        Assert.Contains("the window of 8 per 00:00:01 (plan)", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StartupCheck_RedisStoreWithoutConnectionString_NamesBothSettings()
    {
        using var provider = Build(new() { ["RateLimit:Store"] = "Redis" }, out _);

        var problems = provider.GetServices<IStartupSettingsCheck>().SelectMany(c => c.Problems(provider)).ToList();

        var problem = Assert.Single(problems);
        Assert.Contains("RateLimit:Store", problem, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings:Redis", problem, StringComparison.Ordinal);
    }

    private ServiceProvider Build(Dictionary<string, string?> settings, out IConfigurationRoot configuration, ILoggerProvider? logs = null)
    {
        configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton<TimeProvider>(_time)
            .AddLogging(b =>
            {
                if (logs is not null)
                {
                    b.AddProvider(logs);
                }
            });
        services.AddUpstreamBudget();
        return services.BuildServiceProvider();
    }

    private sealed class ListLoggerProvider : ILoggerProvider
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public ILogger CreateLogger(string categoryName) => new ListLogger(this);

        public void Dispose()
        {
        }

        private sealed class ListLogger(ListLoggerProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (owner.Entries)
                {
                    owner.Entries.Add((logLevel, formatter(state, exception)));
                }
            }
        }
    }
}
