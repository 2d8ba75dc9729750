def test_dump(scenarios):
    for c in scenarios.result.cells:
        d = c.diagnosis
        j = c.judgement
        print("\n==", c.account, c.combo_id, c.outcome.value, c.observation and c.observation.status,
              j and j.verdict.value, j and j.parameter, j and j.right_endpoint)
        if d:
            print("  cause:", d.cause, "| ent:", d.is_entitlement)
            print("  title:", d.title)
            print("  remedy:", d.remedy)
            for e in d.evidence:
                print("   ev", e.label, "=", e.value)
            if d.ticket:
                print("  TICKET:", d.ticket)
