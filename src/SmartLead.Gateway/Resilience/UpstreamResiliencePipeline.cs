using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;
using SmartLead.Gateway.Configuration;
using SmartLead.Gateway.Forwarding;
using SmartLead.Gateway.Logging;

namespace SmartLead.Gateway.Resilience;

/// <summary>
/// The one Polly pipeline every forwarder client shares: retry (outermost) → circuit breaker → attempt timeout.
/// A singleton, because YARP may rebuild its clients and the breaker must remember SmartLead's health across them.
/// Follows hot reloads: retry and timeout are stateless and rebuilt on any reload; the breaker (and the state it
/// holds) is rebuilt only when its own settings actually change, since every reload of any file raises
/// <see cref="LiveOptions{T}.Changed"/>.
/// </summary>
internal sealed partial class UpstreamResiliencePipeline : IDisposable
{
    // Polly refuses timeouts under 10 ms; SmartLead:Timeout allows 1 ms, which no real attempt could meet anyway.
    private static readonly TimeSpan ShortestTimeout = TimeSpan.FromMilliseconds(10);

    /// <summary>The message being forwarded, for the callbacks that decide per request.</summary>
    public static readonly ResiliencePropertyKey<HttpRequestMessage> RequestKey = new("SmartLead.Gateway.Resilience.Request");

    private readonly LiveOptions<RetryOptions> _retryOptions;
    private readonly LiveOptions<CircuitBreakerOptions> _breakerOptions;
    private readonly LiveOptions<SmartLeadOptions> _smartLeadOptions;
    private readonly TimeProvider _timeProvider;
    private readonly Func<double> _random;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private BreakerLayer _breaker;
    private Snapshot _current;

    public UpstreamResiliencePipeline(
        LiveOptions<RetryOptions> retryOptions,
        LiveOptions<CircuitBreakerOptions> breakerOptions,
        LiveOptions<SmartLeadOptions> smartLeadOptions,
        TimeProvider timeProvider,
        ILogger<UpstreamResiliencePipeline> logger)
        : this(retryOptions, breakerOptions, smartLeadOptions, timeProvider, logger, Random.Shared.NextDouble)
    {
    }

    /// <param name="random">Source of jitter in [0, 1); tests pass a fixed one to pin the backoff.</param>
    internal UpstreamResiliencePipeline(
        LiveOptions<RetryOptions> retryOptions,
        LiveOptions<CircuitBreakerOptions> breakerOptions,
        LiveOptions<SmartLeadOptions> smartLeadOptions,
        TimeProvider timeProvider,
        ILogger<UpstreamResiliencePipeline> logger,
        Func<double> random)
    {
        _retryOptions = retryOptions;
        _breakerOptions = breakerOptions;
        _smartLeadOptions = smartLeadOptions;
        _timeProvider = timeProvider;
        _random = random;
        _logger = logger;
        _breaker = BuildBreakerLayer(BreakerSettings.From(breakerOptions.Current));
        _current = BuildSnapshot(_breaker);
        _retryOptions.Changed += OnStatelessSettingsChanged;
        _smartLeadOptions.Changed += OnStatelessSettingsChanged;
        _breakerOptions.Changed += OnBreakerSettingsChanged;
    }

    /// <summary>The pipeline and the settings it was built from, taken together so one request sees one version.</summary>
    public Snapshot Current => Volatile.Read(ref _current);

    /// <summary>The breaker's state (Closed when it is disabled), for status pages and tests.</summary>
    public CircuitState CircuitState => Volatile.Read(ref _breaker).State?.CircuitState ?? CircuitState.Closed;

    public TimeProvider TimeProvider => _timeProvider;

    public void Dispose()
    {
        _retryOptions.Changed -= OnStatelessSettingsChanged;
        _smartLeadOptions.Changed -= OnStatelessSettingsChanged;
        _breakerOptions.Changed -= OnBreakerSettingsChanged;
    }

    /// <summary>The wait before retry <paramref name="attempt"/> (0-based): exponential backoff with ±20 % jitter, capped.</summary>
    internal static TimeSpan Backoff(RetryOptions options, int attempt, double random)
    {
        var exponential = options.BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
        var jittered = Math.Min(exponential, options.MaxDelay.TotalMilliseconds) * (0.8 + (0.4 * random));
        return TimeSpan.FromMilliseconds(Math.Min(jittered, options.MaxDelay.TotalMilliseconds));
    }

    private void OnStatelessSettingsChanged(object _)
    {
        lock (_gate)
        {
            Volatile.Write(ref _current, BuildSnapshot(_breaker));
        }
    }

    private void OnBreakerSettingsChanged(CircuitBreakerOptions options)
    {
        var settings = BreakerSettings.From(options);
        lock (_gate)
        {
            if (settings == _breaker.Settings)
            {
                return;
            }

            var breaker = BuildBreakerLayer(settings);
            Volatile.Write(ref _breaker, breaker);
            Volatile.Write(ref _current, BuildSnapshot(breaker));
        }

        Log.BreakerReplaced(_logger);
    }

    /// <summary>Retry (outermost) → the breaker layer, and the attempt timeout, from the settings in force.</summary>
    private Snapshot BuildSnapshot(BreakerLayer breaker)
    {
        var options = _retryOptions.Current;
        var classifier = new RetryClassifier(options);
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = _timeProvider };
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetries,
                ShouldHandle = args => ValueTask.FromResult(
                    classifier.RetryReason(args.Context.Properties.GetValue(RequestKey, null!), args.Outcome, _timeProvider.GetUtcNow()) is not null),

                // Runs before Polly disposes the discarded response, so its headers are still readable here.
                DelayGenerator = args =>
                {
                    var delay = Backoff(options, args.AttemptNumber, _random());
                    if (args.Outcome.Result is { } response && RetryAfter.From(response, _timeProvider.GetUtcNow()) is { } asked && asked > delay)
                    {
                        delay = asked;
                    }

                    return ValueTask.FromResult<TimeSpan?>(delay);
                },
                OnRetry = args =>
                {
                    var reason = RetryClassifier.Describe(args.Outcome) ?? "unknown";
                    var request = args.Context.Properties.GetValue(RequestKey, null!);
                    RequestLogFeature.From(request)?.RecordRetryReason(reason);
                    Log.Retrying(_logger, request.Method.Method, args.AttemptNumber + 1, reason, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            });
        }

        if (breaker.Pipeline is not null)
        {
            builder.AddPipeline(breaker.Pipeline);
        }

        // The attempt timeout is not part of this pipeline: it runs in its own handler inside the budget
        // (AttemptTimeoutHandler), so time spent waiting for a permit never eats into an attempt's time. Its
        // TimeoutRejectedException comes back through this pipeline as a retryable, breaker-counted failure.
        var attemptTimeout = new ResiliencePipelineBuilder { TimeProvider = _timeProvider }
            .AddTimeout(new TimeoutStrategyOptions { Timeout = AttemptTimeout(_smartLeadOptions.Current) })
            .Build();
        return new Snapshot(builder.Build(), options, classifier, attemptTimeout);
    }

    private BreakerLayer BuildBreakerLayer(BreakerSettings settings)
    {
        if (!settings.Enabled)
        {
            return new BreakerLayer(settings, null, null);
        }

        var state = new CircuitBreakerStateProvider();
        var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = _timeProvider }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                FailureRatio = settings.FailureRatio,
                MinimumThroughput = settings.MinimumThroughput,
                SamplingDuration = settings.SamplingDuration,
                BreakDuration = settings.BreakDuration,
                StateProvider = state,
                ShouldHandle = args => ValueTask.FromResult(RetryClassifier.IsBreakerFailure(args.Outcome)),
                OnOpened = args =>
                {
                    Log.CircuitOpened(_logger, args.BreakDuration);
                    return ValueTask.CompletedTask;
                },
                OnHalfOpened = _ =>
                {
                    Log.CircuitHalfOpened(_logger);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    Log.CircuitClosed(_logger);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
        return new BreakerLayer(settings, pipeline, state);
    }

    private static TimeSpan AttemptTimeout(SmartLeadOptions options) =>
        options.Timeout < ShortestTimeout ? ShortestTimeout : options.Timeout;

    /// <summary>One consistent version of the pipeline and the settings behind it.</summary>
    internal sealed record Snapshot(
        ResiliencePipeline<HttpResponseMessage> Pipeline, RetryOptions Options, RetryClassifier Classifier, ResiliencePipeline AttemptTimeout);

    /// <summary>The breaker and its state, kept across reloads that do not change its settings.</summary>
    private sealed record BreakerLayer(BreakerSettings Settings, ResiliencePipeline<HttpResponseMessage>? Pipeline, CircuitBreakerStateProvider? State);

    private sealed record BreakerSettings(
        bool Enabled,
        double FailureRatio,
        int MinimumThroughput,
        TimeSpan SamplingDuration,
        TimeSpan BreakDuration)
    {
        public static BreakerSettings From(CircuitBreakerOptions options) => new(
            options.Enabled,
            options.FailureRatio,
            options.MinimumThroughput,
            options.SamplingDuration,
            options.BreakDuration);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 6001, Level = LogLevel.Information,
            Message = "Upstream {Method} failed ({Reason}); retry {Retry} in {Delay}")]
        public static partial void Retrying(ILogger logger, string method, int retry, string reason, TimeSpan delay);

        [LoggerMessage(EventId = 6002, Level = LogLevel.Warning,
            Message = "SmartLead keeps failing; circuit opened, requests are refused for {BreakDuration}")]
        public static partial void CircuitOpened(ILogger logger, TimeSpan breakDuration);

        [LoggerMessage(EventId = 6003, Level = LogLevel.Information, Message = "Circuit half-open; letting one probe through to SmartLead")]
        public static partial void CircuitHalfOpened(ILogger logger);

        [LoggerMessage(EventId = 6004, Level = LogLevel.Information, Message = "Circuit closed; SmartLead answers again")]
        public static partial void CircuitClosed(ILogger logger);

        [LoggerMessage(EventId = 6005, Level = LogLevel.Information, Message = "Circuit breaker settings changed; a new circuit, closed, replaces the old one")]
        public static partial void BreakerReplaced(ILogger logger);
    }
}
