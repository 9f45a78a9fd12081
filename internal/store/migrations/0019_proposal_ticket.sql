-- A ticket's pending proposals, looked up on every change of the ticket
-- (a proposal of a move that already happened is closed as superseded).
CREATE INDEX proposals_ticket ON proposals (ticket_id, state);
