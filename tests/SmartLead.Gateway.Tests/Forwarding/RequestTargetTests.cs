using Microsoft.AspNetCore.Http;
using SmartLead.Gateway.Forwarding;

namespace SmartLead.Gateway.Tests.Forwarding;

public sealed class RequestTargetTests
{
    [Theory]
    [InlineData("/api/v1/campaigns/")]
    [InlineData("/api/v1/campaigns/...")]
    [InlineData("/api/v1/campaigns/.x")]
    [InlineData("/api/v1/campaigns/x.")]
    [InlineData("/api/v1//campaigns")]
    [InlineData("/api/v1/campaigns/%2e%2e%2e")]
    public void PathProblem_ForwardablePath_IsNull(string path) => Assert.Null(RequestTarget.PathProblem(path));

    [Theory]
    [InlineData("/api/v1/..", "a dot segment")]
    [InlineData("/api/v1/%2E%2e/x", "a dot segment")]
    [InlineData("/api/v1/a%2fb", "an escaped slash (%2F)")]
    [InlineData("/api/v1/a%5Cb", "an escaped backslash (%5C)")]
    [InlineData("/api/v1/a\\b", "a backslash")]
    [InlineData("/api/v1/a;b", "a semicolon")]
    [InlineData("/api/v1/a\0b", "a NUL character")]
    [InlineData("/api/v1/a%00b", "an escaped NUL (%00)")]
    [InlineData("/api/v1/a#b", "a '#'")]
    public void PathProblem_HostilePath_NamesTheProblem(string path, string problem) =>
        Assert.Equal(problem, RequestTarget.PathProblem(path));

    [Fact]
    public void HeaderProblem_InvalidName_IsRefusedWithoutNamingIt()
    {
        var headers = new HeaderDictionary { ["Accept"] = "application/json", ["Bad Name"] = "x" };

        var problem = RequestTarget.HeaderProblem(headers);

        Assert.NotNull(problem);
        Assert.Null(problem.Value.Header);
    }

    [Theory]
    [InlineData("Zoë")]
    [InlineData("line\nbreak")]
    [InlineData("bell\u0007")]
    public void HeaderProblem_ValueOutsideVisibleAscii_NamesTheHeader(string value)
    {
        var problem = RequestTarget.HeaderProblem(new HeaderDictionary { ["X-Team"] = value });

        Assert.Equal("X-Team", problem?.Header);
    }

    [Fact]
    public void HeaderProblem_PlainHeaders_IsNull() =>
        Assert.Null(RequestTarget.HeaderProblem(new HeaderDictionary { ["X-Team"] = "a b\tc~!", ["Accept"] = "*/*" }));
}
