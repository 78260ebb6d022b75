using System.Net;
using System.Net.Sockets;
using Polly;
using Polly.Timeout;
using SmartLead.Gateway.Errors;
using SmartLead.Gateway.Resilience;

namespace SmartLead.Gateway.Tests.Resilience;

public sealed class RetryClassifierTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly RetryClassifier _classifier = new(new RetryOptions());

    public static TheoryData<string> IdempotentMethods => ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"];

    [Theory]
    [MemberData(nameof(IdempotentMethods))]
    public void Idempotent_EveryRetryableStatus_IsRetried(string method)
    {
        foreach (var status in new[] { 429, 500, 502, 503, 504 })
        {
            Assert.Equal(status.ToString(System.Globalization.CultureInfo.InvariantCulture), Reason(method, "/api/v1/campaigns/", status));
        }
    }

    [Theory]
    [MemberData(nameof(IdempotentMethods))]
    public void Idempotent_TimeoutAndConnectionFailures_AreRetried(string method)
    {
        Assert.Equal("timeout", Reason(method, "/api/v1/campaigns/", new TimeoutRejectedException()));
        Assert.Equal("connect", Reason(method, "/api/v1/campaigns/", ConnectFailure()));
        Assert.Equal("connection", Reason(method, "/api/v1/campaigns/", ConnectionLost()));
    }

    [Theory]
    [InlineData("GET", 400)]
    [InlineData("GET", 401)]
    [InlineData("GET", 403)]
    [InlineData("GET", 404)]
    [InlineData("GET", 409)]
    [InlineData("GET", 422)]
    [InlineData("POST", 409)]
    [InlineData("POST", 422)]
    public void NeverRetriedStatus_IsNotRetried_EvenWhenConfigured(string method, int status)
    {
        var classifier = new RetryClassifier(new RetryOptions { StatusCodes = [status, 503] });

        Assert.Null(Reason(classifier, method, "/api/v1/campaigns/1/leads", Outcome.FromResult(new HttpResponseMessage((HttpStatusCode)status))));
    }

    [Theory]
    [InlineData("POST", 429)]
    [InlineData("POST", 503)]
    [InlineData("PATCH", 429)]
    [InlineData("PATCH", 503)]
    public void PostOrPatch_429Or503_IsRetriedOnAnyRoute(string method, int status) =>
        Assert.NotNull(Reason(method, "/api/v1/campaigns/create", status));

    [Theory]
    [InlineData("POST", 500)]
    [InlineData("POST", 502)]
    [InlineData("POST", 504)]
    [InlineData("PATCH", 500)]
    public void PostOrPatch_500_502_504OnNonImport_IsNotRetried(string method, int status) =>
        Assert.Null(Reason(method, "/api/v1/campaigns/create", status));

    [Fact]
    public void Post_TimeoutOrLostConnectionOnNonImport_IsNotRetried()
    {
        Assert.Null(Reason("POST", "/api/v1/campaigns/create", new TimeoutRejectedException()));
        Assert.Null(Reason("POST", "/api/v1/campaigns/create", ConnectionLost()));
    }

    [Fact]
    public void Post_ConnectFailure_IsRetriedOnAnyRoute() =>
        Assert.Equal("connect", Reason("POST", "/api/v1/campaigns/create", ConnectFailure()));

    [Theory]
    [InlineData("/api/v1/campaigns/123/leads")]
    [InlineData("/API/V1/Campaigns/123/Leads/")]
    [InlineData("/api/v1/lead-list/9/import")]
    public void Post_500OrTimeoutOnLeadImport_IsRetried(string path)
    {
        Assert.Equal("500", Reason("POST", path, 500));
        Assert.Equal("504", Reason("POST", path, 504));
        Assert.Equal("timeout", Reason("POST", path, new TimeoutRejectedException()));
    }

    [Theory]
    [InlineData("/api/v1/campaigns/123/leads/456")]
    [InlineData("/api/v1/campaigns/leads")]
    [InlineData("/api/v1/campaigns//leads")]
    public void Post_500OnSingleLeadOrOtherPath_IsNotRetried(string path) =>
        Assert.Null(Reason("POST", path, 500));

    [Fact]
    public void Patch_500OnImportRoute_IsNotRetried_BecauseTheDefaultRoutesArePostOnly() =>
        Assert.Null(Reason("PATCH", "/api/v1/campaigns/123/leads", 500));

    [Fact]
    public void ConfiguredRouteWithoutMethod_AppliesToPostAndPatch()
    {
        var classifier = new RetryClassifier(new RetryOptions { ReplaySafeRoutes = ["/api/v1/campaigns/{id}/status"] });

        Assert.Equal("500", Reason(classifier, "PATCH", "/api/v1/campaigns/5/status", Outcome.FromResult(new HttpResponseMessage(HttpStatusCode.InternalServerError))));
        Assert.Equal("500", Reason(classifier, "POST", "/api/v1/campaigns/5/status", Outcome.FromResult(new HttpResponseMessage(HttpStatusCode.InternalServerError))));
        Assert.Null(Reason(classifier, "POST", "/api/v1/campaigns/5/leads", Outcome.FromResult(new HttpResponseMessage(HttpStatusCode.InternalServerError))));
    }

    [Fact]
    public void StatusNotInConfiguredList_IsNotRetried()
    {
        var classifier = new RetryClassifier(new RetryOptions { StatusCodes = [503] });

        Assert.Null(Reason(classifier, "GET", "/api/v1/campaigns/", Outcome.FromResult(new HttpResponseMessage(HttpStatusCode.BadGateway))));
        Assert.Equal("503", Reason(classifier, "GET", "/api/v1/campaigns/", Outcome.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable))));
    }

    [Fact]
    public void RetryAfterBeyondMaxRetryAfter_IsNotRetried()
    {
        var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.TryAddWithoutValidation("Retry-After", "61");

        Assert.Null(Reason(_classifier, "GET", "/api/v1/campaigns/", Outcome.FromResult(response)));
    }

    [Fact]
    public void RetryAfterAtMaxRetryAfter_IsRetried()
    {
        var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.TryAddWithoutValidation("Retry-After", "60");

        Assert.Equal("429", Reason(_classifier, "GET", "/api/v1/campaigns/", Outcome.FromResult(response)));
    }

    [Fact]
    public void CancellationAndGatewayRejections_AreNotRetried()
    {
        Assert.Null(Reason("GET", "/api/v1/campaigns/", new OperationCanceledException()));
        Assert.Null(Reason("GET", "/api/v1/campaigns/", new GatewayRejectedException(429, GatewayError.RateLimitExceeded, "queue full")));
        Assert.Null(Reason("GET", "/api/v1/campaigns/", 200));
    }

    [Theory]
    [InlineData(500, true)]
    [InlineData(503, true)]
    [InlineData(504, true)]
    [InlineData(429, false)]
    [InlineData(404, false)]
    [InlineData(200, false)]
    public void IsBreakerFailure_CountsOnly5xx(int status, bool expected) =>
        Assert.Equal(expected, RetryClassifier.IsBreakerFailure(Outcome.FromResult(new HttpResponseMessage((HttpStatusCode)status))));

    [Fact]
    public void IsBreakerFailure_CountsTimeoutsAndConnectionFailures()
    {
        Assert.True(RetryClassifier.IsBreakerFailure(Outcome.FromException<HttpResponseMessage>(new TimeoutRejectedException())));
        Assert.True(RetryClassifier.IsBreakerFailure(Outcome.FromException<HttpResponseMessage>(ConnectFailure())));
    }

    [Fact]
    public void IsNotSmartLeads_ClientCancelledOrGatewayRefused_IsTrue_SocketsGivingUpIsSmartLeads()
    {
        var cancelled = new CancellationToken(canceled: true);
        var cancellation = Outcome.FromException<HttpResponseMessage>(new TaskCanceledException("connect timeout", new TimeoutException()));
        var refusal = Outcome.FromException<HttpResponseMessage>(new SmartLead.Gateway.Errors.GatewayRejectedException(429, "RATE_LIMIT_EXCEEDED", "full"));

        Assert.True(RetryClassifier.IsNotSmartLeads(cancellation, cancelled));
        Assert.True(RetryClassifier.IsNotSmartLeads(refusal, CancellationToken.None));
        Assert.False(RetryClassifier.IsNotSmartLeads(cancellation, CancellationToken.None));
        Assert.True(RetryClassifier.IsBreakerFailure(cancellation));
        Assert.False(RetryClassifier.IsNotSmartLeads(Outcome.FromException<HttpResponseMessage>(ConnectFailure()), cancelled));
    }

    [Fact]
    public void IsNotSmartLeads_FaultInsideTheGateway_IsTrue_TimeoutsAndAnswersAreSmartLeads()
    {
        // Counted as a success, a fault of the gateway's own (disposed at shutdown, a bug) could close a half-open circuit.
        Assert.True(RetryClassifier.IsNotSmartLeads(Outcome.FromException<HttpResponseMessage>(new ObjectDisposedException("WaitingRoom")), CancellationToken.None));
        Assert.True(RetryClassifier.IsNotSmartLeads(Outcome.FromException<HttpResponseMessage>(new InvalidOperationException("bug")), CancellationToken.None));
        Assert.False(RetryClassifier.IsNotSmartLeads(Outcome.FromException<HttpResponseMessage>(new Polly.Timeout.TimeoutRejectedException()), CancellationToken.None));
        using var answer = new HttpResponseMessage(System.Net.HttpStatusCode.ServiceUnavailable);
        Assert.False(RetryClassifier.IsNotSmartLeads(Outcome.FromResult(answer), CancellationToken.None));
    }

    private static HttpRequestException ConnectFailure() =>
        new(HttpRequestError.ConnectionError, "Connection refused", new SocketException((int)SocketError.ConnectionRefused));

    private static HttpRequestException ConnectionLost() =>
        new(HttpRequestError.ResponseEnded, "The response ended prematurely.", new IOException("reset"));

    private string? Reason(string method, string path, int status) =>
        Reason(_classifier, method, path, Outcome.FromResult(new HttpResponseMessage((HttpStatusCode)status)));

    private string? Reason(string method, string path, Exception exception) =>
        Reason(_classifier, method, path, Outcome.FromException<HttpResponseMessage>(exception));

    private static string? Reason(RetryClassifier classifier, string method, string path, Outcome<HttpResponseMessage> outcome)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri("http://127.0.0.1:5000" + path + "?api_key=secret"));
        return classifier.RetryReason(request, outcome, Now);
    }
}
