using SmartLead.Gateway.Forwarding;

namespace SmartLead.Gateway.Budget;

/// <summary>The budget's place in the forwarder's handler chain: innermost, so every attempt, retries included, takes a permit.</summary>
internal sealed class BudgetStage(UpstreamBudget budget) : IUpstreamHandlerStage
{
    public int Order => UpstreamStageOrder.Budget;

    public DelegatingHandler CreateHandler() => budget.CreateHandler();
}
