using System.Runtime.ExceptionServices;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using SmartLead.Gateway.Configuration;
using SmartLead.Gateway.Forwarding;
using SmartLead.Gateway.Logging;
using SmartLead.Gateway.Telemetry;

namespace SmartLead.Gateway.Resilience;

/// <summary>
/// The one Polly pipeline every forwarder client shares: retry (outermost) around the circuit breaker, with the
/// attempt timeout beside it for <see cref="AttemptTimeoutHandler"/>, which runs inside the budget.
/// A singleton, because YARP may rebuild its clients and the breaker must remember SmartLead's health across them.
/// Follows hot reloads: retry and timeout are stateless and rebuilt when their settings change; the breaker (and the
/// state it holds) is rebuilt only when its own settings change.
/// </summary>
internal sealed partial class UpstreamResiliencePipeline : IDisposable
{
    // SmartLead:Timeout allows 1 ms, which no real attempt could meet anyway; 10 ms is the shortest cut (Polly's own floor).
    private static readonly TimeSpan ShortestTimeout = TimeSpan.FromMilliseconds(10);

    /// <summary>The message being forwarded, for the callbacks that decide per request.</summary>
    public static readonly ResiliencePropertyKey<HttpRequestMessage> RequestKey = new("SmartLead.Gateway.Resilience.Request");

    private readonly LiveOptions<RetryOptions> _retryOptions;
    private readonly LiveOptions<CircuitBreakerOptions> _breakerOptions;
    private readonly LiveOptions<SmartLeadOptions> _smartLeadOptions;
    private readonly TimeProvider _timeProvider;
    private readonly Func<double> _random;
    private readonly GatewayMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private BreakerLayer _breaker;
    private Snapshot _current;

    public UpstreamResiliencePipeline(
        LiveOptions<RetryOptions> retryOptions,
        LiveOptions<CircuitBreakerOptions> breakerOptions,
        LiveOptions<SmartLeadOptions> smartLeadOptions,
        TimeProvider timeProvider,
        GatewayMetrics metrics,
        ILogger<UpstreamResiliencePipeline> logger)
        : this(retryOptions, breakerOptions, smartLeadOptions, timeProvider, metrics, logger, Random.Shared.NextDouble)
    {
    }

    /// <param name="random">Polly's source of jitter, in [0, 1); tests pass a fixed one to pin the backoff.</param>
    internal UpstreamResiliencePipeline(
        LiveOptions<RetryOptions> retryOptions,
        LiveOptions<CircuitBreakerOptions> breakerOptions,
        LiveOptions<SmartLeadOptions> smartLeadOptions,
        TimeProvider timeProvider,
        GatewayMetrics metrics,
        ILogger<UpstreamResiliencePipeline> logger,
        Func<double> random)
    {
        _retryOptions = retryOptions;
        _breakerOptions = breakerOptions;
        _smartLeadOptions = smartLeadOptions;
        _timeProvider = timeProvider;
        _random = random;
        _metrics = metrics;
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

                // Polly's own backoff: exponential from BaseDelay with jitter, capped at MaxDelay.
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                Randomizer = _random,
                ShouldHandle = args => ValueTask.FromResult(
                    classifier.RetryReason(args.Context.Properties.GetValue(RequestKey, null!), args.Outcome, _timeProvider.GetUtcNow()) is not null),

                // When SmartLead names a wait, that is the wait (null keeps Polly's backoff). Runs before Polly
                // disposes the discarded response, so its headers are still readable here.
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Result is { } response && RetryAfter.From(response, _timeProvider.GetUtcNow()) is { } asked && asked > TimeSpan.Zero
                        ? asked
                        : (TimeSpan?)null),
                OnRetry = args =>
                {
                    var reason = RetryClassifier.Describe(args.Outcome) ?? "unknown";
                    var request = args.Context.Properties.GetValue(RequestKey, null!);
                    RequestLogFeature.From(request)?.RecordRetryReason(reason);
                    _metrics.Retry(reason);
                    Log.Retrying(_logger, request.Method.Method, args.AttemptNumber + 1, reason, args.RetryDelay);
                    if (args.Outcome.Result is { } answer)
                    {
                        LastAnswer.Keep(args.Context, answer);
                    }

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
        var attemptTimeout = AttemptTimeout(_smartLeadOptions.Current);
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
                ShouldHandle = args => CountsForBreaker(args.Outcome, args.Context.CancellationToken, state),
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

    /// <summary>
    /// Whether the breaker records <paramref name="outcome"/> as a failure (true) or a success (false), or, for an
    /// outcome that is not SmartLead's (a budget refusal, a client that gave up), neither. Polly's breaker records
    /// every outcome its predicate does not handle as a success, so such an outcome is kept out of the record by
    /// rethrowing it from the predicate: Polly's breaker calls the predicate outside any catch, and the retry above
    /// takes the exception as the attempt's outcome (never retried). Closed, the failure ratio is then made of
    /// SmartLead's answers alone. Half-open, the probe's outcome is the only way out, and Polly lets no second probe
    /// through until it is recorded, so a probe that brought no news opens the circuit again: closing on no
    /// evidence is what must not happen, and staying half-open would refuse every request for good.
    /// </summary>
    private static ValueTask<bool> CountsForBreaker(
        Outcome<HttpResponseMessage> outcome, CancellationToken requestAborted, CircuitBreakerStateProvider state)
    {
        if (RetryClassifier.IsNotSmartLeads(outcome, requestAborted))
        {
            if (state.CircuitState == CircuitState.HalfOpen)
            {
                return ValueTask.FromResult(true);
            }

            ExceptionDispatchInfo.Throw(outcome.Exception!);
        }

        return ValueTask.FromResult(RetryClassifier.IsBreakerFailure(outcome));
    }

    private static TimeSpan AttemptTimeout(SmartLeadOptions options) =>
        options.Timeout < ShortestTimeout ? ShortestTimeout : options.Timeout;

    /// <summary>One consistent version of the pipeline and the settings behind it.</summary>
    internal sealed record Snapshot(
        ResiliencePipeline<HttpResponseMessage> Pipeline, RetryOptions Options, RetryClassifier Classifier, TimeSpan AttemptTimeout);

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
