namespace StChat.Contracts;

/// <summary>The core-NATS subjects the feeds publish on, one message type each.</summary>
public static class FeedSubjects
{
    /// <summary>Carries <see cref="@event"/> messages.</summary>
    public const string SportEvent = "sport_event";

    /// <summary>Carries <see cref="execution"/> messages.</summary>
    public const string Execution = "execution";

    /// <summary>Every feed subject, in a fixed order.</summary>
    public static IReadOnlyList<string> All { get; } = [SportEvent, Execution];
}
