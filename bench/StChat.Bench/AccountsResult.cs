namespace StChat.Bench;

internal sealed record AccountsResult
{
    public string LoadClient { get; init; } = "";

    // Chat:PasswordIterations when the server is not told otherwise (ChatOptions).
    public int DefaultIterations { get; init; }

    public AccountSetup? Setup { get; set; }

    public List<LoginStep> Logins { get; init; } = [];

    public List<RestToSocketResult> RestToSocket { get; init; } = [];

    public MultiShape? Multi { get; set; }

    public List<MultiStep> MultiSteps { get; init; } = [];
}

// Accounts created (each one a password hash at the default cost) and signed in once, 4 at a time.
internal sealed record AccountSetup(int Accounts, double CreateSeconds, double SignInSeconds);

internal sealed record LoginStep(
    int Iterations, int Clients, double Seconds, long Logins, long Failures, double LoginsPerSecond, double P50Ms, double P99Ms,
    double ServerCpuPercent);

internal sealed record RestToSocketResult(
    string Kind, string Room, int Followers, int Rate, double Seconds, long Posts, long PostFailures, string? PostError, long Deliveries, long Expected,
    double P50Ms, double P95Ms, double P99Ms, double MaxMs, double PostP50Ms, double PostP99Ms);

// How the /ws load is laid out: sockets, the accounts they sign in as, the public rooms and how many sockets follow each.
internal sealed record MultiShape(
    int Sockets, int Accounts, int Rooms, int ConversationsPerSocket, int Senders, int MinFollowers, double MeanFollowers, int MaxFollowers,
    double SetupSeconds, long SetupFrames);

internal sealed record MultiStep(
    int TargetRate, double Seconds, long Sent, long Committed, long Errors, string? LastError, double CommittedPerSecond, long Deliveries,
    long Expected, double DeliveriesPerSecond, double P50Ms, double P99Ms, double ServerCpuPercent);
