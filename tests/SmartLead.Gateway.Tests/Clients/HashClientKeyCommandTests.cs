using System.Text.RegularExpressions;
using SmartLead.Gateway.Clients;

namespace SmartLead.Gateway.Tests.Clients;

public sealed partial class HashClientKeyCommandTests
{
    [Fact]
    public void Run_KeyOnStandardInput_PrintsItsSha256()
    {
        var output = new StringWriter();

        var exit = HashClientKeyCommand.Run(new StringReader("crm-key\n"), output, new StringWriter(), inputIsTerminal: false);

        Assert.Equal(0, exit);
        Assert.Contains($"KeySha256: {ClientRegistryTests.Sha256Hex("crm-key").ToLowerInvariant()}", output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("crm-key", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_InATerminal_MakesANewKeyAndPrintsItsMatchingHash()
    {
        var output = new StringWriter();

        var exit = HashClientKeyCommand.Run(new StringReader(""), output, new StringWriter(), inputIsTerminal: true);

        Assert.Equal(0, exit);
        var key = NewKeyLine().Match(output.ToString()).Groups[1].Value;
        Assert.Equal(43, key.Length);
        Assert.Contains($"KeySha256: {ClientRegistryTests.Sha256Hex(key).ToLowerInvariant()}", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_NewKeys_AreNotRepeated()
    {
        Assert.NotEqual(ClientKeys.NewKey(), ClientKeys.NewKey());
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n")]
    public void Run_NothingOnStandardInput_ExitsWith2AndSaysHow(string input)
    {
        var error = new StringWriter();

        var exit = HashClientKeyCommand.Run(new StringReader(input), new StringWriter(), error, inputIsTerminal: false);

        Assert.Equal(2, exit);
        Assert.Contains("standard input", error.ToString(), StringComparison.Ordinal);
    }

    [GeneratedRegex("New client key .*: (\\S+)")]
    private static partial Regex NewKeyLine();
}
