namespace SmartLead.Gateway.Clients;

/// <summary>
/// <c>hash-client-key</c>: prints the <c>KeySha256</c> to list for a client. The key is read from standard input
/// (so it never lands in shell history or a process list); run in a terminal with nothing piped in, it makes a new
/// random key and prints it once, with its hash.
/// </summary>
internal static class HashClientKeyCommand
{
    public const string Name = "hash-client-key";

    public static bool IsInvoked(string[] args) => args.Length > 0 && args[0] == Name;

    public static int Run(TextReader input, TextWriter output, TextWriter error, bool inputIsTerminal)
    {
        string key;
        bool generated;
        if (inputIsTerminal)
        {
            key = ClientKeys.NewKey();
            generated = true;
        }
        else
        {
            key = (input.ReadLine() ?? "").Trim();
            generated = false;
            if (key.Length == 0 || key.Length > ClientKeys.MaxKeyLength)
            {
                error.WriteLine($"hash-client-key: give the key on standard input, 1–{ClientKeys.MaxKeyLength} characters (e.g. 'printf %s \"$KEY\" | dotnet SmartLead.Gateway.dll hash-client-key').");
                return 2;
            }
        }

        if (generated)
        {
            output.WriteLine($"New client key (give it to the client; it is not shown again): {key}");
        }

        output.WriteLine($"KeySha256: {ClientKeys.HashToHex(key)}");
        output.WriteLine("List it under Clients, e.g. { \"Name\": \"crm\", \"KeySha256\": \"<the hash>\" }.");
        return 0;
    }
}
