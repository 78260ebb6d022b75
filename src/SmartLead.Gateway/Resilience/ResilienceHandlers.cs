namespace SmartLead.Gateway.Resilience;

/// <summary>
/// Makes the resilience part of a forwarder client's handler chain. Every call returns new handlers (a
/// <see cref="DelegatingHandler"/> belongs to one chain), all sharing the singleton pipeline and its circuit state.
/// Order, outermost first: <see cref="CreateBodyBufferingHandler"/> → <see cref="CreateResilienceHandler"/> → budget
/// (one permit per attempt) → sockets.
/// </summary>
internal sealed class ResilienceHandlers
{
    private readonly IServiceProvider _services;

    public ResilienceHandlers(IServiceProvider services) => _services = services;

    /// <summary>Buffers the request body (bounded; 413 beyond) so attempts can replay it.</summary>
    public DelegatingHandler CreateBodyBufferingHandler() =>
        ActivatorUtilities.CreateInstance<RequestBodyBufferingHandler>(_services);

    /// <summary>Retry, circuit breaker and attempt timeout.</summary>
    public DelegatingHandler CreateResilienceHandler() =>
        ActivatorUtilities.CreateInstance<UpstreamResilienceHandler>(_services);

    /// <summary>Body buffering → resilience → <paramref name="inner"/>; returns the outermost handler.</summary>
    public DelegatingHandler Wrap(HttpMessageHandler inner)
    {
        var resilience = CreateResilienceHandler();
        resilience.InnerHandler = inner;
        var buffering = CreateBodyBufferingHandler();
        buffering.InnerHandler = resilience;
        return buffering;
    }
}
