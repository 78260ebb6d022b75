namespace SmartLead.Gateway.Resilience;

/// <summary>
/// Makes the resilience part of a forwarder client's handler chain. Every call returns new handlers (a
/// <see cref="DelegatingHandler"/> belongs to one chain), all sharing the singleton pipeline and its circuit state.
/// Order, outermost first: <see cref="CreateBodyBufferingHandler"/> → <see cref="CreateResilienceHandler"/> → budget
/// (one permit per attempt) → <see cref="CreateAttemptTimeoutHandler"/> → sockets.
/// </summary>
internal sealed class ResilienceHandlers
{
    private readonly IServiceProvider _services;

    public ResilienceHandlers(IServiceProvider services) => _services = services;

    /// <summary>Buffers the request body (bounded; 413 beyond) so attempts can replay it.</summary>
    public DelegatingHandler CreateBodyBufferingHandler() =>
        ActivatorUtilities.CreateInstance<RequestBodyBufferingHandler>(_services);

    /// <summary>Retry and circuit breaker.</summary>
    public DelegatingHandler CreateResilienceHandler() =>
        ActivatorUtilities.CreateInstance<UpstreamResilienceHandler>(_services);

    /// <summary>One attempt's timeout, started when the attempt leaves (after any budget wait).</summary>
    public DelegatingHandler CreateAttemptTimeoutHandler() =>
        ActivatorUtilities.CreateInstance<AttemptTimeoutHandler>(_services);

    /// <summary>Body buffering → resilience → attempt timeout → <paramref name="inner"/>; returns the outermost handler.</summary>
    public DelegatingHandler Wrap(HttpMessageHandler inner)
    {
        var timeout = CreateAttemptTimeoutHandler();
        timeout.InnerHandler = inner;
        var resilience = CreateResilienceHandler();
        resilience.InnerHandler = timeout;
        var buffering = CreateBodyBufferingHandler();
        buffering.InnerHandler = resilience;
        return buffering;
    }
}
