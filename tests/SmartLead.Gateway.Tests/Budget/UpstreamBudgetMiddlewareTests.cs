using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SmartLead.Gateway.Budget;
using SmartLead.Gateway.Tests.Resilience;

namespace SmartLead.Gateway.Tests.Budget;

/// <summary>
/// The first-permit stage on its own, over the budget and breaker the gateway registers: what happens to the permit
/// it was granted, by what the rest of the request did with it. The bucket holds three and refills one an hour.
/// </summary>
public sealed class UpstreamBudgetMiddlewareTests : IDisposable
{
    private readonly ResilienceTestHost _host = new(new Dictionary<string, string?>(FirstPermitThroughGatewayTests.ThreePermitsAnHour));

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task NoAttemptTookThePermit_ItGoesBackWhole()
    {
        var granted = false;
        var stage = Stage(context =>
        {
            // Refused further on (say, by the breaker) before anything was sent.
            granted = context.Features.Get<PrepaidPermit>() is not null;
            return Task.CompletedTask;
        });

        await stage.InvokeAsync(new DefaultHttpContext());

        Assert.True(granted);
        Assert.Equal(3, BucketAvailable());
    }

    [Fact]
    public async Task TheFirstAttemptTookThePermit_ItStaysSpent()
    {
        var stage = Stage(context =>
        {
            using var lease = context.Features.Get<PrepaidPermit>()!.Take();
            Assert.True(lease!.IsAcquired);
            return Task.CompletedTask;
        });

        await stage.InvokeAsync(new DefaultHttpContext());

        Assert.Equal(2, BucketAvailable());
    }

    [Fact]
    public async Task RestOfTheRequestThrows_ThePermitGoesBack_AndTheErrorGoesOn()
    {
        var stage = Stage(_ => throw new InvalidOperationException("refused further on"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => stage.InvokeAsync(new DefaultHttpContext()));

        Assert.Equal(3, BucketAvailable());
    }

    [Fact]
    public async Task BodyNotReadYet_WaitsInTheChainInstead()
    {
        // The chain reads the body and refuses one over its limit before any permit or wait; the stage must not wait.
        PrepaidPermit? seen = null;
        var stage = Stage(context =>
        {
            seen = context.Features.Get<PrepaidPermit>();
            return Task.CompletedTask;
        });
        var context = new DefaultHttpContext();
        context.Request.ContentLength = 1001;

        await stage.InvokeAsync(context);

        Assert.Null(seen);
        Assert.Equal(3, BucketAvailable());
    }

    private UpstreamBudgetMiddleware Stage(RequestDelegate next) =>
        new(next, _host.Services.GetRequiredService<UpstreamBudget>(), _host.Pipeline);

    private int BucketAvailable() =>
        _host.Services.GetRequiredService<UpstreamBudget>().GetStatus().Limits.Single(l => l.Name == "bucket").Available;
}
