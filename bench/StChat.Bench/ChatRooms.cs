namespace StChat.Bench;

// The public rooms the growth section fills: names, and how many events each holds (its last seq). Room 0 is the
// large room; the others share the rest of the events evenly.
internal sealed class ChatRooms
{
    private ChatRooms(string[] names, long[] events)
    {
        Names = names;
        Events = events;
    }

    public string[] Names { get; }

    public long[] Events { get; }

    public long Total => Events.Sum();

    public static ChatRooms Create(int rooms, long totalEvents, long largeRoomEvents)
    {
        if (rooms < 2 || largeRoomEvents > totalEvents)
        {
            throw new ArgumentException($"{rooms} rooms with {totalEvents} events, {largeRoomEvents} in the large room: give at least 2 rooms and no more events to the large room than in all.");
        }

        var names = new string[rooms];
        var events = new long[rooms];
        names[0] = GrowthScenario.LargeRoom;
        events[0] = largeRoomEvents;
        var rest = totalEvents - largeRoomEvents;
        for (var i = 1; i < rooms; i++)
        {
            names[i] = $"growth{i:D4}";
            events[i] = (rest / (rooms - 1)) + (i <= rest % (rooms - 1) ? 1 : 0);
        }

        return new ChatRooms(names, events);
    }
}
