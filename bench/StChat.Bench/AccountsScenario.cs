using System.Diagnostics;
using System.Text;

namespace StChat.Bench;

// Accounts and conversations over REST and /ws, against one StChat chat server with a fresh database: the sign-in
// rate at the password-hash cost (AccountsScenario.Login.cs), REST post → WebSocket receive latency
// (AccountsScenario.Rest.cs), and events through /ws sockets that each follow 20 conversations
// (AccountsScenario.Multi.cs). Each part that fails is reported and the next one still runs.
internal sealed partial class AccountsScenario(BenchEnvironment env)
{
    private const string Password = "bench-password";
    public const int SetupConcurrency = 4;

    // Sign-ups from one address are limited per hour; the bench creates its accounts from 127.0.0.1.
    private static readonly string[] ServerArgs = ["--Chat:AccountsPerAddressPerHour=100000"];

    public async Task<AccountsResult> RunAsync(ICollection<string> errors, CancellationToken ct)
    {
        var settings = env.Settings;
        var result = new AccountsResult
        {
            LoadClient = "HttpClient (REST) and .NET ClientWebSocket clients (/ws, one receive loop each, 16 source addresses) in the harness " +
                "process, sharing the 2 cores with the server under test",
            DefaultIterations = new global::StChat.Chat.ChatOptions().PasswordIterations,
        };
        await using var target = await ChatTarget.StartStChatAsync(env, "bench_accounts", ServerArgs, ct);
        using var api = new StChatApi(target.HttpUri);
        var names = Enumerable.Range(0, settings.Accounts).Select(i => $"bench{i}").ToArray();
        var (tokens, setup) = await CreateAccountsAsync(target, api, names, ct);
        result.Setup = setup;
        BenchEnvironment.Log($"accounts: {names.Length} accounts created in {setup.CreateSeconds:N1} s, signed in in {setup.SignInSeconds:N1} s");

        await PartAsync("login", errors, async () =>
            result.Logins.AddRange(await LoginAsync(target, api, names, result.DefaultIterations, ct)), ct);
        foreach (var iterations in settings.LoginExtraIterations)
        {
            await PartAsync($"login at {iterations:N0} iterations", errors, async () =>
            {
                await using var costly = await ChatTarget.StartStChatAsync(env, $"bench_accounts_{iterations}",
                    [.. ServerArgs, $"--Chat:PasswordIterations={iterations}"], ct);
                using var costlyApi = new StChatApi(costly.HttpUri);
                var costlyNames = names.Take(settings.LoginClients.Max()).ToArray();
                await CreateAccountsAsync(costly, costlyApi, costlyNames, ct);
                result.Logins.AddRange(await LoginAsync(costly, costlyApi, costlyNames, iterations, ct));
            }, ct);
        }

        await PartAsync("REST post → WebSocket, public room", errors, async () =>
            result.RestToSocket.Add(await RestToSocketAsync(target, api, tokens, "public room", RestRoom, ct)), ct);
        await PartAsync("REST post → WebSocket, group", errors, async () =>
        {
            var group = await api.CreateGroupAsync(tokens[0], "rest latency", names[1..], ct);
            result.RestToSocket.Add(await RestToSocketAsync(target, api, tokens, "group", group, ct));
        }, ct);
        await PartAsync("/ws with 20 conversations per socket", errors, () => MultiAsync(target, tokens, result, ct), ct);
        return result;
    }

    private static async Task PartAsync(string name, ICollection<string> errors, Func<Task> part, CancellationToken ct)
    {
        try
        {
            await part();
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            BenchEnvironment.Log($"accounts: {name} failed: {e}");
            errors.Add($"accounts: {name}: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
        }
    }

    // Every account is created, then signed in once; its token is shared by all the sockets that sign in as it.
    private static async Task<(string[] Tokens, AccountSetup Setup)> CreateAccountsAsync(ChatTarget target, StChatApi api, string[] names, CancellationToken ct)
    {
        var options = new ParallelOptions { MaxDegreeOfParallelism = SetupConcurrency, CancellationToken = ct };
        try
        {
            var started = Stopwatch.GetTimestamp();
            await Parallel.ForEachAsync(names, options, async (name, token) => await api.CreateAccountAsync(name, Password, token));
            var createSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var tokens = new string[names.Length];
            started = Stopwatch.GetTimestamp();
            await Parallel.ForEachAsync(Enumerable.Range(0, names.Length), options,
                async (i, token) => tokens[i] = await api.SignInAsync(names[i], Password, token));
            return (tokens, new AccountSetup(names.Length, createSeconds, Stopwatch.GetElapsedTime(started).TotalSeconds));
        }
        catch (HttpRequestException e)
        {
            // The server stopped answering: its own output says why.
            throw new InvalidOperationException($"{e.Message}; server output:\n{Tail(target.Process.Log, 40)}", e);
        }
    }

    private static string Tail(string log, int lines) =>
        string.Join('\n', log.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(lines));

    // Subscribes every socket to its rooms, a wave of sockets at a time, and waits until the server has answered each
    // subscribe with "subscribed" (its replay done), then until the join events they caused have stopped arriving.
    // Waves keep the follow rows and join events of thousands of subscribes from queueing at the database at once. A
    // subscribe the server could not complete is answered with a retryable error that does not say which socket it
    // came from, so a wave that falls short sends its subscribes again: the ones already done are refused harmlessly.
    private static async Task SubscribeAsync(LoadClients load, Func<int, IReadOnlyList<string>> rooms, CancellationToken ct)
    {
        const int WaveSockets = 16;
        const int Attempts = 3;
        var sink = load.Sink;
        for (var first = 0; first < load.Clients.Count; first += WaveSockets)
        {
            var wave = Enumerable.Range(first, Math.Min(WaveSockets, load.Clients.Count - first)).ToList();
            var expected = sink.Subscribed + wave.Sum(i => rooms(i).Count);
            for (var attempt = 1; sink.Subscribed < expected; attempt++)
            {
                if (attempt > Attempts)
                {
                    throw new InvalidOperationException(
                        $"{expected - sink.Subscribed:N0} subscriptions unconfirmed after {Attempts} attempts; last error frame: {sink.LastError ?? "none"}");
                }

                var subscribedBefore = sink.Subscribed;
                var errorsBefore = sink.Errors;
                await Task.WhenAll(wave.Select(async i =>
                {
                    foreach (var room in rooms(i))
                    {
                        await load.Clients[i].SendAsync(Encoding.UTF8.GetBytes($"{{\"action\":\"subscribe\",\"room\":\"{room}\"}}"), ct);
                    }
                }));
                // Every subscribe is answered with "subscribed" or an error.
                var sent = wave.Sum(i => rooms(i).Count);
                var until = Stopwatch.GetTimestamp() + (15 * Stopwatch.Frequency);
                while (sink.Subscribed - subscribedBefore + sink.Errors - errorsBefore < sent && Stopwatch.GetTimestamp() < until)
                {
                    await Task.Delay(10, ct);
                }
            }
        }

        await load.SettleAsync(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1), ct);
    }

    private static async Task DrainAsync(DeliverySink sink, long expected, CancellationToken ct)
    {
        var until = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
        while (sink.Latency.Count < expected && Stopwatch.GetTimestamp() < until)
        {
            await Task.Delay(20, ct);
        }
    }

    private static double CpuPercent(ChatTarget target, TimeSpan before, double seconds) =>
        (target.Process.CpuTime() - before).TotalSeconds / seconds * 100;
}
