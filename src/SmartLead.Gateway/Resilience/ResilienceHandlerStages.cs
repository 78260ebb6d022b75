using SmartLead.Gateway.Forwarding;

namespace SmartLead.Gateway.Resilience;

/// <summary>The body buffer's place in the forwarder's handler chain: outermost, so every attempt replays one copy.</summary>
internal sealed class BodyBufferingStage(ResilienceHandlers handlers) : IUpstreamHandlerStage
{
    public int Order => UpstreamStageOrder.BodyBuffering;

    public DelegatingHandler CreateHandler() => handlers.CreateBodyBufferingHandler();
}

/// <summary>Retry and breaker: inside the body buffer, outside the budget (a permit per attempt).</summary>
internal sealed class ResilienceStage(ResilienceHandlers handlers) : IUpstreamHandlerStage
{
    public int Order => UpstreamStageOrder.Resilience;

    public DelegatingHandler CreateHandler() => handlers.CreateResilienceHandler();
}

/// <summary>The attempt timeout: innermost, after the budget, so waiting for a permit does not count against it.</summary>
internal sealed class AttemptTimeoutStage(ResilienceHandlers handlers) : IUpstreamHandlerStage
{
    public int Order => UpstreamStageOrder.AttemptTimeout;

    public DelegatingHandler CreateHandler() => handlers.CreateAttemptTimeoutHandler();
}
