using SmartLead.Gateway.Forwarding;

namespace SmartLead.Gateway.Resilience;

/// <summary>The body buffer's place in the forwarder's handler chain: outermost, so every attempt replays one copy.</summary>
internal sealed class BodyBufferingStage(ResilienceHandlers handlers) : IUpstreamHandlerStage
{
    public int Order => UpstreamStageOrder.BodyBuffering;

    public DelegatingHandler CreateHandler() => handlers.CreateBodyBufferingHandler();
}

/// <summary>Retry, breaker and attempt timeout: inside the body buffer, outside the budget (a permit per attempt).</summary>
internal sealed class ResilienceStage(ResilienceHandlers handlers) : IUpstreamHandlerStage
{
    public int Order => UpstreamStageOrder.Resilience;

    public DelegatingHandler CreateHandler() => handlers.CreateResilienceHandler();
}
